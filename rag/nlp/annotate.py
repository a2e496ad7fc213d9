"""Annotating articles with spaCy: sentences, entities, noun chunks, datelines, and who is reported
saying what.

Speech attributions come from the dependency parse, not from patterns over words: the subject
of a speech verb (rag/resources/speech_verbs_*.txt) is its speaker wherever it stands ("X said",
"said X", "X, the minister, told reporters"), the object of "according to" is a source, and a
pronoun subject ("he said") is the last named speaker before it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rag.nlp import model
from rag.nlp.datelines import dateline_entities
from rag.nlp.records import Attribution, DocAnnotation, Entity, Span, annotation_version
from rag.nlp.workers import PoolBroken, shared_pool
from rag.resources import words as resource_words

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

SPEECH_VERBS = (
    resource_words("speech_verbs_strong") | resource_words("speech_verbs_weak") | resource_words("speech_verbs_post")
)
PRONOUNS = resource_words("speaker_pronouns")
_SUBJECTS = frozenset({"nsubj", "nsubjpass"})

log = logging.getLogger(__name__)


def _span(doc: Doc, first: int, last: int) -> Span | None:
    """Tokens first..last (inclusive) as a character span, without punctuation at its edges."""
    while first <= last and (doc[first].is_punct or doc[first].is_space):
        first += 1
    while last >= first and (doc[last].is_punct or doc[last].is_space):
        last -= 1
    if first > last:
        return None
    start, end = doc[first].idx, doc[last].idx + len(doc[last].text)
    # The tokens' own text, not doc.text[start:end]: Doc.text joins the whole article on every read.
    return Span(start=start, end=end, text=doc[first : last + 1].text)


def _subtree(tok: Token) -> Span | None:
    return _span(tok.doc, tok.left_edge.i, tok.right_edge.i)


def _token(tok: Token) -> Span:
    return Span(start=tok.idx, end=tok.idx + len(tok.text), text=tok.text)


def attributions(doc: Doc) -> list[Attribution]:
    """Every speech attribution of a parsed article, in text order."""
    out: list[Attribution] = []
    last_named: Span | None = None
    for si, sent in enumerate(doc.sents):
        whole = _span(doc, sent.start, sent.end - 1)
        if whole is None:
            continue
        for tok in sent:
            low = tok.lower_
            if low == "according":
                to = next((c for c in tok.children if c.lower_ == "to"), None)
                obj = next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
                source = _subtree(obj) if obj is not None else None
                if source is not None:
                    out.append(Attribution(speaker=source, clause=whole, via="according_to", sentence=si))
                continue
            if low not in SPEECH_VERBS:
                continue
            subject = next((c for c in tok.children if c.dep_ in _SUBJECTS), None)
            if subject is None:
                continue
            speaker = _subtree(subject)
            if speaker is None:
                continue
            complement = next((c for c in tok.children if c.dep_ in ("ccomp", "xcomp")), None)
            clause = (_subtree(complement) if complement is not None else None) or whole
            appos = next((c for c in subject.children if c.dep_ == "appos"), None)
            role = _subtree(appos) if appos is not None else None
            if speaker.text.lower() in PRONOUNS:
                if last_named is None:
                    continue
                out.append(
                    Attribution(
                        speaker=last_named,
                        clause=clause,
                        verb=_token(tok),
                        via="pronoun",
                        pronoun=speaker,
                        sentence=si,
                    )
                )
                continue
            out.append(
                Attribution(speaker=speaker, clause=clause, verb=_token(tok), via="subject", role=role, sentence=si)
            )
            last_named = speaker
    return out


_LEADING = frozenset({"DET", "PRON"})  # "the", "a", "his", "their": not part of what is named


def noun_chunks(doc: Doc) -> list[Span]:
    """The parse's base noun phrases, each without its leading determiners or possessor ("the
    company's new nuggets" -> "new nuggets"); a chunk that is only a pronoun ("he", "it") is no
    candidate answer and is left out."""
    out: list[Span] = []
    for chunk in doc.noun_chunks:
        if chunk.root.pos_ == "PRON":
            continue
        first = chunk.start
        for tok in doc[chunk.start : chunk.root.i]:
            if tok.dep_ == "poss":
                first = max(first, tok.right_edge.i + 1)
        while first < chunk.root.i and doc[first].pos_ in _LEADING:
            first += 1
        span = _span(doc, first, chunk.end - 1)
        if span is not None:
            out.append(span)
    return out


def from_doc(doc: Doc, version: str, doc_version: str = "", with_noun_chunks: bool = False) -> DocAnnotation:
    sentences = [(s.start_char, s.end_char) for s in doc.sents if s.text.strip()]
    entities = [
        Entity(start=e.start_char, end=e.end_char, text=e.text, label=e.label_) for e in doc.ents if e.text.strip()
    ]
    return DocAnnotation(
        version=version,
        doc_version=doc_version,
        sentences=sentences,
        entities=entities,
        attributions=attributions(doc),
        noun_chunks=noun_chunks(doc) if with_noun_chunks else [],
        datelines=dateline_entities(doc.text, sentences, entities),
    )


def annotate_texts(
    texts: Sequence[str], keys: Sequence[str], version: str, with_noun_chunks: bool, batch_size: int
) -> list[DocAnnotation]:
    """The records of `texts` made in this process (the writing process, or a worker)."""
    nlp = model.load(with_noun_chunks)
    docs = nlp.pipe(texts, batch_size=batch_size)
    return [from_doc(doc, version, key, with_noun_chunks) for doc, key in zip(docs, keys, strict=True)]


class Annotator:
    """Runs the pipeline over texts in batches (nlp.pipe). Cheap to build; the model loads on first use.

    `workers` > 0: a batch of two or more texts is annotated in that many worker processes
    (rag/nlp/workers.py), since spaCy's pass uses one core; one text, or a broken pool, is
    annotated here. `noun_chunks`: records carry noun chunks (the tagger then runs too)."""

    def __init__(self, batch_size: int = 16, noun_chunks: bool = False, workers: int = 0):
        self._batch_size = batch_size
        self._noun_chunks = noun_chunks
        self._pool = shared_pool(workers, noun_chunks, batch_size) if workers > 0 else None

    def load(self) -> None:
        """Load the pipeline now (a server at start-up), not inside the first write or query,
        and start the worker processes."""
        model.load(self._noun_chunks)
        if self._pool is not None:
            self._pool.start()

    @property
    def version(self) -> str:
        return annotation_version(self._noun_chunks)

    def annotate(self, texts: Sequence[str], doc_versions: Iterable[str] | None = None) -> list[DocAnnotation]:
        version = self.version
        keys = list(doc_versions) if doc_versions is not None else [""] * len(texts)
        if self._pool is not None and len(texts) > 1:
            try:
                return self._pool.annotate(texts, keys, version)
            except PoolBroken as e:
                log.warning("an annotation worker died (%s); annotating %d texts in this process", e, len(texts))
        return annotate_texts(texts, keys, version, self._noun_chunks, self._batch_size)
