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
    joined = with_parsed_speakers(sentences, patterns, ann.attributions, TEXT)
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


def test_the_pipeline_reads_the_stored_parse_unless_switched_off(tmp_path, seeded_pipeline) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from rag.ingest.ingester import Parsed
    from rag.models import Document
    from rag.pipeline import RagPipeline
    from tests.conftest import make_settings

    on = RagPipeline(make_settings(tmp_path / "data"), embedder=seeded_pipeline.embedder)
    doc = Document(doc_id="tokyo", title="Aid", text=TEXT, source="o", published=dt.date(2023, 1, 5))
    on.ingest_parsed([Parsed("tokyo", doc=doc)])
    asked = {"question": "What did Japan say?", "as_of": dt.date(2023, 1, 6)}
    assert [c.quote for c in on.ask(**asked).citations] == [SPOKE]
    off = RagPipeline(on.settings.updated(nlp_speakers=False), embedder=seeded_pipeline.embedder)
    assert MET in {c.quote for c in off.ask(**asked).citations}
