"""Speakers from the stored dependency parse join the answerer's speech patterns."""

from __future__ import annotations

from rag.analysis.question import analyze
from rag.answer.extractive.attribution import attribute, with_parsed_speakers
from rag.models import Passage
from rag.nlp.annotate import Annotator
from rag.nlp.text import split_sentences
from tests.rag.answer_rules.helpers import answerer

MET = "Japan and Oman met in Muscat on Monday to discuss shipping through the strait."
SPOKE = (
    "The spokesman for the Japanese government, Hirokazu Matsuno, who also serves as chief cabinet "
    "secretary, said Tokyo would send aid."
)
TEXT = f"{MET} {SPOKE}"


def test_the_parse_finds_the_subject_the_patterns_miss() -> None:
    [ann] = Annotator().annotate([TEXT])
    sentences = split_sentences(TEXT)
    patterns = attribute(sentences, TEXT)
    assert not any("Matsuno" in p for p in patterns[1])  # "said Tokyo would ..." reads Tokyo's clause
    joined = with_parsed_speakers(sentences, patterns, ann, TEXT)
    assert any(p.startswith("The spokesman for the Japanese government, Hirokazu Matsuno") for p in joined[1])
    assert joined[0] == []


def _answer(with_parse: bool) -> list[str]:
    [ann] = Annotator().annotate([TEXT])
    p = Passage(chunk_id="d:0", doc_id="d", text=TEXT, start=0, end=len(TEXT), title="", source="o")
    annotations = {"d": ann} if with_parse else None
    draft = answerer().answer(analyze("What did Japan say?"), [p], {"d": TEXT}, annotations=annotations)
    return [c.text for c in draft.claims]


def test_what_did_japan_say_quotes_its_spokesman_only() -> None:
    assert _answer(with_parse=True) == [SPOKE]


def test_without_the_parse_a_sentence_only_naming_japan_is_quoted_too() -> None:
    """(RAG_NLP_SPEAKERS=false: the pipeline passes no annotations.) Nobody is quoted as Japan,
    so the answer falls back to the sentences that name it."""
    assert MET in _answer(with_parse=False)
