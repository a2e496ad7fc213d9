"""Answer-rule tests: a `Question`, a few sentences, the hashing embedder; no store, no model."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rag.analysis.question import analyze
from rag.answer.extractive.answerer import ExtractiveAnswerer
from rag.answer.render import Draft
from rag.answer.rules import Asked, Candidate, build_rules
from rag.index.embed import HashingEmbedder
from rag.models import Passage
from rag.settings import Settings

EMBEDDER = HashingEmbedder()


def settings(**kw: Any) -> Settings:
    """The defaults, with `kw` set."""
    return Settings(_env_file=None, **kw)  # type: ignore[call-arg]


def answerer(**kw: Any) -> ExtractiveAnswerer:
    s = settings(**kw)
    return ExtractiveAnswerer(EMBEDDER, build_rules(s), s.scoring, s.selection, s.max_answer_sentences)


def ask(question: str, *articles: list[str], as_of: dt.date | None = None, annotated: bool = False, **kw: Any) -> Draft:
    """Answers `question` from articles given as lists of sentences (one passage each); with
    `annotated`, with their NLP records as ingest stores them (spaCy, no store)."""
    passages, texts = [], {}
    for i, sentences in enumerate(articles):
        doc_id = f"doc{i}"
        text = " ".join(sentences)
        texts[doc_id] = text
        passages.append(
            Passage(chunk_id=f"{doc_id}:0", doc_id=doc_id, text=text, start=0, end=len(text), title="", source=f"o{i}")
        )
    annotations = None
    if annotated:
        from rag.nlp.annotate import Annotator

        annotations = dict(zip(texts, Annotator().annotate(list(texts.values())), strict=True))
    return answerer(**kw).answer(analyze(question, as_of), passages, texts, annotations=annotations)


def quoted(draft: Draft) -> list[str]:
    return [claim.text for claim in draft.claims]


def candidate(text: str, of_kind: bool | None = None) -> Candidate:
    p = Passage(chunk_id="d:0", doc_id="d", text=text, start=0, end=len(text), title="")
    return Candidate(text, 0, len(text), p, 0, [], of_kind=of_kind)


def asked(question: str, as_of: dt.date | None = None) -> Asked:
    from rag.nlp.text import terms

    q = analyze(question, as_of)
    return Asked(q, frozenset(t for e in q.entities for t in terms(e)), tuple(terms(q.role_of)) if q.role_of else ())
