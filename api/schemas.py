"""Request and response bodies of the HTTP API (the answer itself is `rag.models.AskResponse`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from rag.analysis.temporal import TimeWindow
from rag.ingest.parsers import SAFE_URL_PATTERN
from rag.models import AsOf, Filters, IngestItem, IsoDate, Passage, Timings

AS_OF = (
    "Answer as of this moment (ISO date or datetime; default: now): nothing published after it is "
    "retrieved or cited, and time phrases in the question ('last week') are read against it."
)

# Request bodies are strict: `"stream": 0` or `"top_k": "5"` is a 422, not silently coerced.
# Limits that come from settings (question length, top_k) are written into the OpenAPI
# document at start-up by api/openapi.py, so the published schema matches what is enforced.
# "Has a visible character", spelled out: `\S` means different things to JSON Schema (ECMA),
# pydantic (Rust regex) and Python's str.strip(), so a string blank to one of them passed another.
# This class excludes the whitespace of all three.
NOT_BLANK = r"[^\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"


def _whole_number(value: Any) -> Any:
    """JSON Schema counts 5.0 as an integer; strings and booleans stay errors."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


PositiveInt = Annotated[int, Field(ge=1), BeforeValidator(_whole_number)]


def _valid_unicode(value: Any) -> Any:
    """JSON can carry lone surrogates ("\\ud800"), which no UTF-8 encoder, tokenizer or store
    accepts: refuse them here, as a 422 naming the field, instead of failing deep inside."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text (it contains a lone surrogate)") from None
    return value


Text = Annotated[str, AfterValidator(_valid_unicode)]


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    question: Text = Field(min_length=1, pattern=NOT_BLANK, description="The question.")
    top_k: PositiveInt | None = Field(default=None, description="Passages to retrieve.")
    filters: Filters | None = None
    answerer: Literal["extractive", "openai"] | None = None
    as_of: AsOf | None = Field(default=None, description=AS_OF)
    stream: bool = Field(default=False, description="Server-Sent Events: citations, delta..., done.")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    query: Text = Field(min_length=1, pattern=NOT_BLANK)
    top_k: PositiveInt | None = None
    filters: Filters | None = None
    as_of: AsOf | None = Field(default=None, description=AS_OF)


class SearchResponse(BaseModel):
    passages: list[Passage]
    as_of: dt.date | None = None
    time_window: TimeWindow | None = None
    timings: Timings


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    title: Text = Field(min_length=1, max_length=2000, pattern=NOT_BLANK)
    text: Text = Field(min_length=1, pattern=NOT_BLANK)
    source: Text | None = Field(default=None, max_length=200)
    published: IsoDate | None = None
    url: str | None = Field(default=None, max_length=4000, pattern=SAFE_URL_PATTERN)
    doc_id: str | None = Field(default=None, min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.\-]+$")
    categories: list[str] = Field(default_factory=list, max_length=50)


class IngestResponse(BaseModel):
    """`items`: the documents now stored (added, updated or unchanged), in input order;
    `failures`: the inputs that were not stored, each with its reason."""

    items: list[IngestItem]
    failures: list[IngestItem]
    added: int
    updated: int
    unchanged: int
    failed: int


class DocumentList(BaseModel):
    items: list[Any]
    total: int
    limit: int
    offset: int


class OutletList(BaseModel):
    outlets: list[str]


class DeleteResponse(BaseModel):
    deleted: str
    chunks: int


class ErrorBody(BaseModel):
    error: str
    detail: Any = None
    request_id: str | None = None


# -- OpenAI-compatible -------------------------------------------------------------------


class ContentPart(BaseModel):
    """One part of a multi-part message; only `text` parts carry the question."""

    model_config = ConfigDict(extra="allow", strict=True)
    type: str = Field(max_length=64)
    text: Text | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Text | list[ContentPart] | None = None

    def text_parts(self) -> list[str]:
        if isinstance(self.content, str):
            return [self.content]
        if isinstance(self.content, list):
            return [p.text for p in self.content if p.type == "text" and p.text]
        return []

    def text(self) -> str:
        return " ".join(self.text_parts())


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    include_usage: bool | None = None


class ChatCompletionRequest(BaseModel):
    """Unknown fields (tools, user, seed, ...) are accepted and ignored, as frontends send them.
    The question is the last user message; at least one user message must have text."""

    model_config = ConfigDict(extra="allow", strict=True)
    model: str = Field(default="newsrag", max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    as_of: AsOf | None = Field(default=None, description=AS_OF + " An extra field (openai SDK: extra_body).")
    temperature: float | None = None
    max_tokens: PositiveInt | None = None
    top_p: float | None = None
