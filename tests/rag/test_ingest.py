from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.errors import DocumentNotFound, EmbedderMismatch
from rag.ingest.ingester import Parsed
from rag.models import Document
from rag.store.chroma import ChromaStore
from tests.conftest import ROOT, SEEDS

ARTICLE = "Title: Port reopens\nPublished Time: 2024-03-05\nAuthor: Harbour Post\nText: \nThe port reopened on Monday. Officials said traffic was normal.\n"


def test_seeds_ingest_once_then_nothing_changes(seeded_pipeline) -> None:  # type: ignore[no-untyped-def]
    report = seeded_pipeline.ingest_paths([SEEDS])
    assert report.count("unchanged") == 5 and report.count("added") == 0 and report.embedded == 0
    docs = seeded_pipeline.list_documents()
    assert [d.doc_id for d in docs] == sorted(p.stem for p in SEEDS.glob("*.txt"))
    assert all(d.chunks > 0 for d in docs)


def test_changed_file_replaces_its_chunks(fresh_pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "port.txt"
    f.write_text(ARTICLE)
    assert fresh_pipeline.ingest_paths([f]).count("added") == 1
    f.write_text(ARTICLE.replace("traffic was normal", "traffic was heavy"))
    report = fresh_pipeline.ingest_paths([f])
    assert report.count("updated") == 1
    rows = list(fresh_pipeline.store.committed_chunks())
    assert rows and all("heavy" in c.text or "reopened" in c.text for c in rows)
    raw = fresh_pipeline.store._h().chunks.get(where={"doc_id": "port"}, include=["documents"])
    assert not any("normal" in t for t in raw["documents"]), "stale chunks left behind"


def test_delete_removes_document_and_chunks(fresh_pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "port.txt"
    f.write_text(ARTICLE)
    fresh_pipeline.ingest_paths([f])
    assert fresh_pipeline.delete_document("port") > 0
    assert fresh_pipeline.list_documents() == []
    assert fresh_pipeline.store._h().chunks.count() == 0
    with pytest.raises(DocumentNotFound):
        fresh_pipeline.delete_document("port")
    assert fresh_pipeline.ask("When did the port reopen?").abstained


def test_bad_inputs_are_reported_and_nothing_is_lost(fresh_pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "port.txt"
    good.write_text(ARTICLE)
    fresh_pipeline.ingest_paths([good])
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "records.jsonl").write_text('{"title": "A", "text": "Body A here."}\n{broken\n')
    report = fresh_pipeline.ingest_paths([tmp_path, tmp_path / "missing.txt"])
    failed = {Path(i.input).name.split(":")[0]: i.reason for i in report.items if i.status == "failed"}
    assert set(failed) == {"empty.txt", "binary.txt", "latin1.txt", "records.jsonl", "missing.txt"}
    assert report.count("unchanged") == 1 and report.count("added") == 1
    assert {d.doc_id for d in fresh_pipeline.list_documents()} >= {"port"}


def _uncommitted_write(pipeline, doc_id: str, written_at: float) -> int:  # type: ignore[no-untyped-def]
    """Chunks written by a writer that has not committed (or crashed before committing)."""
    doc = Document(doc_id=doc_id, title="Ghost", text=f"A ghost document {doc_id} that never committed.")
    chunks = pipeline.chunker.chunk(doc, f"w-{doc_id}")
    pipeline.store._h().chunks.upsert(
        ids=[c.chunk_id for c in chunks],
        documents=[c.text for c in chunks],
        metadatas=[
            {"doc_id": doc_id, "write_id": f"w-{doc_id}", "written_at": written_at, "start": c.start, "end": c.end}
            for c in chunks
        ],
        embeddings=[pipeline.embedder.embed([c.text])[0].tolist() for c in chunks],
    )
    return len(chunks)


def test_uncommitted_chunks_stay_invisible_and_only_old_ones_are_repaired(fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    """A crash between writing chunks and committing the record leaves invisible chunks; repair
    removes them only past the grace period, since a young one may be another node's write in flight."""
    store = fresh_pipeline.store
    crashed = _uncommitted_write(fresh_pipeline, "ghost", written_at=time.time() - 2 * 3600)
    in_flight = _uncommitted_write(fresh_pipeline, "inflight", written_at=time.time())
    assert fresh_pipeline.list_documents() == []
    assert list(store.committed_chunks()) == []
    assert fresh_pipeline.retrieve("ghost document") == []
    assert store.repair() == crashed
    assert store._h().chunks.count() == in_flight


def test_repost_heals_a_document_whose_chunks_are_missing(fresh_pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "port.txt"
    f.write_text(ARTICLE)
    fresh_pipeline.ingest_paths([f])
    chunks = fresh_pipeline.store._h().chunks
    chunks.delete(ids=chunks.get(include=[])["ids"])  # lost, as another node's old repair used to do
    report = fresh_pipeline.ingest_paths([f])
    assert report.count("updated") == 1, report.items
    assert fresh_pipeline.retrieve("port reopened")[0].doc_id == "port"
    assert fresh_pipeline.ingest_paths([f]).count("unchanged") == 1


def test_update_removes_only_the_replaced_version(fresh_pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "port.txt"
    f.write_text(ARTICLE)
    fresh_pipeline.ingest_paths([f])
    other = _uncommitted_write(fresh_pipeline, "port", written_at=time.time())  # a concurrent writer's chunks
    f.write_text(ARTICLE + "\nShips queued overnight.\n")
    fresh_pipeline.ingest_paths([f])
    [doc] = fresh_pipeline.list_documents()
    assert fresh_pipeline.store._h().chunks.count() == doc.chunks + other


def test_documents_persist_across_processes(fresh_pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "port.txt"
    f.write_text(ARTICLE)
    fresh_pipeline.ingest_paths([f])
    fresh_pipeline.store.close()  # release the embedded store before another process opens it
    env = {**os.environ, "RAG_DATA_DIR": str(fresh_pipeline.settings.data_dir)}
    out = subprocess.run(
        [sys.executable, "-m", "rag.cli", "docs", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    [doc] = json.loads(out.stdout)
    assert (doc["doc_id"], doc["title"], doc["source"], doc["published"]) == (
        "port",
        "Port reopens",
        "Harbour Post",
        "2024-03-05",
    )


def test_store_built_with_another_embedder_is_refused(fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    fresh_pipeline.ingest_parsed([Parsed("x", doc=Document(doc_id="x", title="X", text="Some text here."))])
    other = ChromaStore(fresh_pipeline.settings, "openai:text-embedding-3-small", 1536)
    with pytest.raises(EmbedderMismatch, match="all-MiniLM-L6-v2"):
        other.count_docs()


def test_broken_store_database_is_unavailable_not_a_crash(fresh_pipeline, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Seen when a data dir was wiped under a live server: chromadb raised InternalError
    ("disk I/O error", "no such table"), which must reach clients as 503, not 500."""
    from chromadb.errors import InternalError

    from rag.errors import StoreUnavailable

    store = fresh_pipeline.store
    store.ping()

    def broken(*args: object, **kwargs: object) -> int:
        raise InternalError("Database error: error returned from database: (code: 5898) disk I/O error")

    monkeypatch.setattr(store._h().docs, "count", broken)
    with pytest.raises(StoreUnavailable, match="disk I/O"):
        store.count_docs()
