"""Small typed records passed between components, the CLI and the API."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from rag.analysis.temporal import TimeWindow

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    """Dates arrive as 'YYYY-MM-DD' strings (or date objects from Python); a number is an error,
    not a Unix timestamp."""
    if isinstance(value, dt.date) or value is None:
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return dt.date.fromisoformat(value)  # raises ValueError for 2023-02-30
    raise ValueError("expected a date as YYYY-MM-DD")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


def _iso_date_or_datetime(value: Any) -> Any:
    """`as_of`: 'YYYY-MM-DD' or an ISO datetime ('2023-11-01T12:00:00Z'); the day is what counts,
    in UTC when the datetime carries an offset."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date) or value is None:
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return dt.date.fromisoformat(value)
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return _iso_date_or_datetime(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            pass
    raise ValueError("expected an ISO date (YYYY-MM-DD) or datetime (YYYY-MM-DDTHH:MM[:SS][+HH:MM])")


AsOf = Annotated[dt.date, BeforeValidator(_iso_date_or_datetime)]


class Document(BaseModel):
    """A parsed article: the body text that every char offset refers to, plus its metadata."""

    doc_id: str
    title: str
    text: str
    source: str | None = None
    published: dt.date | None = None
    url: str | None = None
    path: str | None = None
    categories: list[str] = Field(default_factory=list)


class Chunk(BaseModel):
    """A span of a document's text, `text == document.text[start:end]`."""

    chunk_id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int


MAX_FILTER_SOURCES = 100
MAX_FILTER_DOC_IDS = 1000


class Filters(BaseModel):
    """Metadata filters shared by retrieval, the CLI and the API. The list lengths are capped so
    a filter is answered with 422, never handed to the store as an unbounded SQL statement."""

    model_config = ConfigDict(extra="forbid", strict=True)
    sources: list[Annotated[str, Field(max_length=200)]] | None = Field(
        default=None, max_length=MAX_FILTER_SOURCES, description="Outlets to keep (case-insensitive)."
    )
    published_from: IsoDate | None = Field(default=None, description="Earliest publication date, inclusive.")
    published_to: IsoDate | None = Field(default=None, description="Latest publication date, inclusive.")
    doc_ids: list[Annotated[str, Field(max_length=200)]] | None = Field(
        default=None, max_length=MAX_FILTER_DOC_IDS, description="Documents to keep."
    )

    @field_validator("sources", "doc_ids")
    @classmethod
    def _non_empty_items(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return None
        cleaned = [s.strip() for s in v if s and s.strip()]
        return cleaned or None

    def is_empty(self) -> bool:
        return not (self.sources or self.published_from or self.published_to or self.doc_ids)


class Passage(BaseModel):
    """A retrieved chunk with the metadata of its document and its fused score."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    title: str
    source: str | None = None
    published: dt.date | None = None
    url: str | None = None
    path: str | None = None
    score: float = 0.0
    dense_rank: int | None = None
    lexical_rank: int | None = None
    duplicates: list[str] = Field(
        default_factory=list, description="chunk_ids of near-identical passages from other documents"
    )
    duplicate_of: str | None = Field(default=None, description="Set when this passage is grouped under another one.")
    # Which write the chunk belongs to (internal: a chunk is visible only while its document's
    # registry record names the same version). Never serialised.
    version: str = Field(default="", exclude=True)


class Citation(BaseModel):
    n: int
    doc_id: str
    chunk_id: str
    title: str
    source: str | None = None
    published: dt.date | None = None
    url: str | None = None
    path: str | None = None
    text: str = Field(description="The cited passage.")
    quote: str = Field(description="The sentence of the passage that supports the claim.")
    start: int = Field(description="Char offset of the quote in the document text.")
    end: int
    score: float


class ShortAnswer(BaseModel):
    """The entity, number or date a factoid question asks for, as a cited sentence states it."""

    text: str = Field(description="Verbatim: the document's text[start:end].")
    doc_id: str
    start: int = Field(description="Char offset of the short answer in the document text.")
    end: int
    citation: int = Field(description="The n of the citation whose quote holds it.")
    stated_in: list[int] = Field(
        default_factory=list,
        description="The n of every citation whose quote states the short answer as a whole phrase"
        " (in its case, accents aside), `citation` first: how many cited reports agree on it.",
    )


class Timings(BaseModel):
    retrieve_ms: float = 0.0
    answer_ms: float = 0.0


class AskResponse(BaseModel):
    """The one answer shape shared by the CLI, the native API and the eval harness."""

    answer: str
    short_answer: ShortAnswer | None = Field(
        default=None,
        description="A factoid question's answer in a few words (also the opening of `answer`); null otherwise.",
    )
    citations: list[Citation] = Field(default_factory=list)
    abstained: bool = False
    refused_by: str | None = Field(
        default=None,
        description=(
            "What refused, when abstained: an answer rule's name (rag/answer/rules/, e.g. 'names_in_article'), "
            "'time_window', 'retrieval' or 'llm'."
        ),
    )
    answerer: str
    as_of: dt.date | None = Field(default=None, description="Nothing published after this day was used.")
    time_window: TimeWindow | None = Field(
        default=None, description="The published-date window read from a time phrase in the question."
    )
    timings: Timings = Field(default_factory=Timings)
    warnings: list[str] = Field(default_factory=list)
    passages: list[Passage] = Field(
        default_factory=list,
        exclude=True,
        description="The ranked passages the answer was made from (for the eval harness; not serialised).",
    )


class SearchResult(BaseModel):
    passages: list[Passage]
    as_of: dt.date | None = Field(default=None, description="Nothing published after this day was searched.")
    time_window: TimeWindow | None = Field(default=None, description="The window read from a time phrase.")


class DocumentInfo(BaseModel):
    doc_id: str
    title: str
    source: str | None = None
    published: dt.date | None = None
    url: str | None = None
    path: str | None = None
    categories: list[str] = Field(default_factory=list)
    chunks: int = 0
    chars: int = 0


class DocumentDetail(DocumentInfo):
    text: str


class IngestItem(BaseModel):
    """What happened to one input (a file, a JSON record or an uploaded document)."""

    input: str
    doc_id: str | None = None
    status: str  # added | updated | unchanged | failed
    reason: str | None = None
    chunks: int = 0


class IngestReport(BaseModel):
    items: list[IngestItem] = Field(default_factory=list)
    seconds: float = 0.0
    embedded: int = 0

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    @property
    def chunks(self) -> int:
        return sum(i.chunks for i in self.items if i.status in ("added", "updated"))

    @property
    def failed(self) -> int:
        return self.count("failed")

    def summary(self) -> str:
        rate = self.chunks / self.seconds if self.seconds > 0 else 0.0
        return (
            f"added {self.count('added')} / updated {self.count('updated')} / "
            f"unchanged {self.count('unchanged')} / failed {self.failed}; "
            f"{self.chunks} chunks ({self.embedded} embedded) in {self.seconds:.1f}s, "
            f"{rate:.1f} chunks/s"
        )
