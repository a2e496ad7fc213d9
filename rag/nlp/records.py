"""The annotation of one article: what the NLP layer stores beside its chunks.

Offsets are character offsets into the document text, so `text[start:end]` is always the span's
own text. `version` names the pipeline and this schema: a record of another version is stale and
the article is annotated again (as a new analyser fingerprint rebuilds the lexical index).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from rag.nlp.model import pipeline_id

SCHEMA_VERSION = 4  # 2: noun chunks; 3: noun chunks only when asked for ("+chunks"); 4: datelines


def annotation_version(noun_chunks: bool = False) -> str:
    """The version every current record carries: the pipeline's name and version, the schema's,
    and whether the record holds noun chunks (a record without them is stale where they are read)."""
    return f"{pipeline_id()}+schema{SCHEMA_VERSION}" + ("+chunks" if noun_chunks else "")


class Span(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: int
    end: int
    text: str


class Entity(Span):
    """A named entity, number or date, with its OntoNotes label (PERSON, ORG, GPE, DATE, CARDINAL, ...)."""

    label: str


class Attribution(BaseModel):
    """Who is reported saying a clause: "Portugal's coach said ...", "..., according to the AP".

    `via` says how the speaker was found: the subject of a speech verb, the object of "according
    to", or a pronoun subject ("he said") resolved to the last named speaker before it (then
    `speaker` is that earlier speaker's span and `pronoun` the pronoun's). `role` is an apposition
    of the speaker ("Wang Yi, China's foreign minister, said")."""

    model_config = ConfigDict(frozen=True)

    speaker: Span
    clause: Span  # what is attributed: the verb's clausal complement, else the whole sentence
    verb: Span | None = None  # None for "according to X"
    via: Literal["subject", "according_to", "pronoun"]
    role: Span | None = None
    pronoun: Span | None = None
    sentence: int  # index into DocAnnotation.sentences


class DocAnnotation(BaseModel):
    """Sentences, entities, noun chunks, speech attributions and datelines of one article version.

    `noun_chunks` are the parse's base noun phrases without a leading determiner or possessive
    ("the new chicken nuggets" -> "new chicken nuggets"), pronouns left out: what a short answer
    can be when the asked thing is no named entity ("What did the FDA recall?"); only an annotator
    built with `noun_chunks` makes them (the short answer's opt-in chunk candidates read them)."""

    version: str
    doc_version: str = Field(default="", description="The registry version key this was made for.")
    sentences: list[tuple[int, int]] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    attributions: list[Attribution] = Field(default_factory=list)
    noun_chunks: list[Span] = Field(default_factory=list)
    datelines: list[Span] = Field(default_factory=list)  # entities a dateline names (rag/nlp/datelines.py)
    _starts: dict[frozenset[str], dict[int, str]] = PrivateAttr(default_factory=dict)

    def entity_starts(self, labels: frozenset[str]) -> dict[int, str]:
        """The text of each entity of `labels` by its start offset (read-only), built once per
        record and label set: the answerer looks up every sentence's opening name of a popular
        article question after question (the annotation cache keeps the parsed records)."""
        found = self._starts.get(labels)
        if found is None:
            found = self._starts[labels] = {e.start: e.text for e in self.entities if e.label in labels}
        return found

    def entities_in(self, start: int, end: int) -> list[Entity]:
        """The entities wholly inside [start, end) (a sentence, a quote)."""
        return [e for e in self.entities if e.start >= start and e.end <= end]

    def noun_chunks_in(self, start: int, end: int) -> list[Span]:
        """The noun chunks wholly inside [start, end)."""
        return [c for c in self.noun_chunks if c.start >= start and c.end <= end]

    def in_dateline(self, span: Span) -> bool:
        """Whether `span` overlaps an outlet or place that a dateline names ("(CNN)", "DENVER (AP) —")."""
        return any(d.start < span.end and span.start < d.end for d in self.datelines)
