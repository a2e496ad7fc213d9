"""Request and response bodies of the HTTP API (the answer itself is `rag.models.AskResponse`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.models import Filters, IngestItem, Passage, Timings


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=100_000, description="The question.")
    top_k: int | None = Field(default=None, ge=1, le=1000, description="Passages to retrieve.")
    filters: Filters | None = None
    answerer: Literal["extractive", "openai"] | None = None
    stream: bool = Field(default=False, description="Server-Sent Events: citations, delta..., done.")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=100_000)
    top_k: int | None = Field(default=None, ge=1, le=1000)
    filters: Filters | None = None


class SearchResponse(BaseModel):
    passages: list[Passage]
    timings: Timings


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=2000)
    text: str = Field(min_length=1)
    source: str | None = Field(default=None, max_length=200)
    published: dt.date | None = None
    url: str | None = Field(default=None, max_length=4000)
    doc_id: str | None = Field(default=None, min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.\-]+$")
    categories: list[str] = Field(default_factory=list, max_length=50)


class IngestResponse(BaseModel):
    items: list[IngestItem]
    added: int
    updated: int
    unchanged: int
    failed: int


class DocumentList(BaseModel):
    items: list[Any]
    total: int
    limit: int
    offset: int


class DeleteResponse(BaseModel):
    deleted: str
    chunks: int


class ErrorBody(BaseModel):
    error: str
    detail: Any = None
    request_id: str | None = None


# -- OpenAI-compatible -------------------------------------------------------------------


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str = Field(min_length=1, max_length=64)
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        if isinstance(self.content, list):
            return " ".join(str(p.get("text", "")) for p in self.content if isinstance(p, dict))
        return ""


class ChatCompletionRequest(BaseModel):
    """Unknown fields (tools, user, seed, ...) are accepted and ignored, as frontends send them."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(default="newsrag", max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool | None = False
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
