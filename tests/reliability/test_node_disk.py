"""A node's own derived data (its lexical index and `vectors.f32`) survives a full disk.

Reproduces the reported fault: in Chroma-server mode nothing guarded the node's data dir. While
it was full, every request on that node was a 500 and `/healthz` said "ok"; the embedding file
was left with a torn row (711,680 bytes = 463.33 rows), so every later chunk mapped to another
chunk's embedding: new articles ranked 34th or not at all where other nodes ranked them 1st-3rd,
and a restart did not repair it."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import httpx
import pytest

from rag.ingest.ingester import Parsed
from rag.models import Document
from rag.pipeline import RagPipeline
from tests.conftest import SEEDS

ANIMALS = ["otter", "heron", "badger", "lynx", "beaver", "falcon", "tortoise", "walrus"]
TOWNS = ["Orbury", "Kelsham", "Dunmere", "Pellworth", "Asterby"]


def _article(i: int, prefix: str = "sanctuary") -> Document:
    animal, town = ANIMALS[i % len(ANIMALS)], TOWNS[i // len(ANIMALS) % len(TOWNS)]
    return Document(
        doc_id=f"{prefix}-{i:03d}",
        title=f"{town} takes in a {animal}",
        text=f"The wildlife sanctuary in {town} took in an injured {animal} on Tuesday. "
        f"Volunteers said the {animal} would be released near {town} river in {i + 2} weeks.",
        source="Valley Courier",
        published=dt.date(2023, 4, 1) + dt.timedelta(days=i),
    )


QUESTIONS = [f"Which sanctuary took in an injured {a} near {t}?" for a, t in zip(ANIMALS, TOWNS * 2, strict=False)]


def _dense_ranking(pipeline: RagPipeline, question: str) -> list[tuple[str, int | None]]:
    return [(p.chunk_id, p.dense_rank) for p in pipeline.search(question, top_k=8).passages]


def test_a_torn_embedding_file_is_detected_at_start_and_rebuilt(fresh_pipeline: RagPipeline) -> None:
    fresh_pipeline.ingest_parsed([Parsed(d.doc_id, doc=d) for d in map(_article, range(40))])
    healthy = {q: _dense_ranking(fresh_pipeline, q) for q in QUESTIONS}
    settings, dim = fresh_pipeline.settings, fresh_pipeline.embedder.dim
    fresh_pipeline.lexical_manager.close()
    (vectors,) = (settings.data_dir / "lexical" / settings.collection).glob("slot-*/vectors.f32")
    row = 4 * dim
    data = vectors.read_bytes()
    assert len(data) % row == 0
    # What an append torn by a full disk left: a third of a row in the middle, every later row shifted.
    cut = (len(data) // row // 2) * row
    vectors.write_bytes(data[:cut] + data[cut : cut + row // 3] + data[cut:])

    again = RagPipeline(settings, embedder=fresh_pipeline.embedder, store=fresh_pipeline.store)
    assert {q: _dense_ranking(again, q) for q in QUESTIONS} == healthy
    assert again.lexical_manager.rebuilds == 1, "the torn file was not rebuilt"
    again.lexical_manager.close()


def _fill_leaving(mount: Path, spare: int) -> Path:
    """Fills the tmpfs, then gives back `spare` bytes: room for a torn write, not a whole one."""
    filler = mount / "filler"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError:
            pass
    os.truncate(filler, max(0, filler.stat().st_size - spare))
    return filler


def _search(node: str, query: str) -> httpx.Response:
    return httpx.post(f"{node}/v1/search", json={"query": query, "top_k": 8}, timeout=60)


def _ranks(node: str, query: str) -> list[tuple[str, int | None]]:
    r = _search(node, query)
    assert r.status_code == 200, r.text
    return [(p["chunk_id"], p["dense_rank"]) for p in r.json()["passages"]]


@pytest.mark.slow
@pytest.mark.chroma_server
def test_a_full_node_disk_gives_503_then_recovers_with_a_healthy_nodes_ranks(  # type: ignore[no-untyped-def]
    chroma_server, serve_factory, small_disk: Path, tmp_path: Path
) -> None:
    env = {"RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(chroma_server.port)}
    healthy = serve_factory(tmp_path / "healthy", **env)
    assert healthy.cli("ingest", str(SEEDS)).returncode == 0
    healthy.start()
    # One node with the guard off, whose writes really meet the full disk (the reported torn
    # append), and one that refuses to write under RAG_MIN_FREE_DISK_MB.
    unguarded = serve_factory(small_disk / "unguarded", RAG_MIN_FREE_DISK_MB="0", **env)
    guarded = serve_factory(small_disk / "guarded", RAG_MIN_FREE_DISK_MB="4", **env)
    for node in (unguarded, guarded):
        node.log = tmp_path / f"{node.data_dir.name}.log"  # not on the disk that fills up
        node.start()
        assert _ranks(node.url, "What did Oman say?") == _ranks(healthy.url, "What did Oman say?")

    filler = _fill_leaving(small_disk, spare=8192)
    articles = [_json(_article(i, "late")) for i in range(40)]
    added = httpx.post(f"{healthy.url}/v1/documents", json=articles, timeout=300)
    assert added.status_code in (200, 201), added.text
    for node in (unguarded, guarded):
        for _ in range(3):
            r = _search(node.url, QUESTIONS[0])
            assert r.status_code == 503, r.text
            assert r.json()["error"] == "index_unavailable" and r.headers["Retry-After"]
        ask = httpx.post(f"{node.url}/v1/ask", json={"question": QUESTIONS[1]}, timeout=60)
        assert ask.status_code == 503 and ask.json()["error"] == "index_unavailable"
        assert httpx.get(f"{node.url}/readyz", timeout=30).status_code == 503
        health = httpx.get(f"{node.url}/healthz", timeout=5).json()
        assert health["status"] == "degraded" and "index" in health["index"], health
    vectors = next((small_disk / "unguarded").glob("lexical/*/slot-*/vectors.f32"))
    assert vectors.stat().st_size % (4 * 384) == 0, "a torn row was left in the embedding file"
    # A write through a node that could not index it is refused before it reaches the store.
    refused = httpx.post(f"{guarded.url}/v1/documents", json=[_json(_article(0, "refused"))], timeout=60)
    assert refused.status_code == 503 and refused.json()["error"] == "index_unavailable", refused.text
    assert httpx.get(f"{healthy.url}/v1/documents/refused-000", timeout=30).status_code == 404

    filler.unlink()
    for node in (unguarded, guarded):
        for _ in range(120):  # it recovers by itself, without a restart
            if _search(node.url, QUESTIONS[0]).status_code == 200:
                break
            time.sleep(0.25)
        for q in [*QUESTIONS, "What did Oman say?"]:
            assert _ranks(node.url, q) == _ranks(healthy.url, q), (node.data_dir.name, q)
        assert httpx.get(f"{node.url}/readyz", timeout=30).status_code == 200
        assert httpx.get(f"{node.url}/healthz", timeout=5).json()["status"] == "ok"


def _json(doc: Document) -> dict[str, object]:
    return doc.model_dump(mode="json", exclude_none=True, exclude={"categories"})
