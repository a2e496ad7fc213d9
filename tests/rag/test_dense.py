"""Dense search is exact over the committed chunks, and does not depend on Chroma's HNSW search
reaching every stored record (chromadb 1.5.9 can leave one unreachable: chroma-core/chroma#7758;
bench/chroma_recall.py measures how often)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from rag.ingest.ingester import Parsed
from rag.models import Document, Filters
from rag.pipeline import RagPipeline
from rag.retrieval.filtering import conditions, matches
from rag.store.chroma import ChromaStore, version_key
from tests.conftest import make_settings


def _harbour(i: int, text: str | None = None) -> Parsed:
    d = Document(
        doc_id=f"n{i:02d}",
        title=f"Harbour note {i}",
        text=text or f"The harbour at port {i} reopened after storm repairs on day {i}.",
        source="Harbour Post" if i % 2 else "Coast Daily",
        published=dt.date(2023, 1, 1) + dt.timedelta(days=i),
    )
    return Parsed(d.doc_id, doc=d)


def _brute_force(pipeline: RagPipeline, vector: np.ndarray, n: int, filters: Filters | None, as_of: dt.date | None):  # type: ignore[no-untyped-def]
    """Every committed chunk in the store, scored one by one."""
    got = pipeline.store._h().chunks.get(include=["metadatas", "embeddings"])
    committed = pipeline.store.committed_versions(sorted({m["doc_id"] for m in got["metadatas"]}))
    conds = conditions(filters, as_of)
    scored = [
        (cid, float(np.dot(np.asarray(e, dtype=np.float32), vector)))
        for cid, m, e in zip(got["ids"], got["metadatas"], got["embeddings"], strict=True)
        if committed.get(m["doc_id"]) == version_key(m) and matches(m, conds)
    ]
    return sorted(scored, key=lambda x: -x[1])[:n]


def test_exact_dense_search_is_the_brute_force_ranking_of_committed_chunks(fresh_pipeline: RagPipeline) -> None:
    fresh_pipeline.ingest_parsed([_harbour(i) for i in range(30)])
    # Replaced and deleted documents leave dead embedding rows behind: they must never come back.
    fresh_pipeline.ingest_parsed([_harbour(i, f"The lighthouse at cape {i} was repainted in red.") for i in (3, 8)])
    fresh_pipeline.delete_document("n05")
    index = fresh_pipeline.lexical_index()
    assert len(index.vectors) > len(index), "the test needs dead rows"
    cases: list[tuple[Filters | None, dt.date | None]] = [
        (None, None),
        (Filters(sources=["Coast Daily"]), None),
        (None, dt.date(2023, 1, 20)),
        (Filters(published_from=dt.date(2023, 1, 4), published_to=dt.date(2023, 1, 9)), None),
        (Filters(doc_ids=["n03", "n05", "n07", "n12"]), dt.date(2023, 1, 10)),
    ]
    for query in ("harbour reopened after repairs", "lighthouse repainted"):
        vector = fresh_pipeline.embedder.embed([query])[0]
        for filters, as_of in cases:
            for n in (1, 5, 40):
                got = index.nearest_live(vector, n, filters, as_of)
                want = _brute_force(fresh_pipeline, vector, n, filters, as_of)
                assert [c for c, _ in got] == [c for c, _ in want], (query, filters, as_of, n)
                assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)


class UnreachableInChroma(ChromaStore):
    """The store with Chroma's HNSW search failing to reach one document's chunks, as
    chroma-core/chroma#7758 reports (and as this suite once hit: a one-chunk write made after a
    query was never returned by any query)."""

    lost_doc = "pier"

    @staticmethod
    def _nearest(h: Any, embedding: np.ndarray, n: int, where: dict[str, Any] | None):  # type: ignore[no-untyped-def]
        found = ChromaStore._nearest(h, embedding, n, where)
        return [(p, m) for p, m in found if p.doc_id != UnreachableInChroma.lost_doc]


PIER = (
    "Harbour council votes on the new pier\n\nThe harbour council voted on Tuesday to build a new pier, "
    "the mayor said. Residents welcomed the pier vote at the harbour council."
)


def test_a_chunk_chromas_search_cannot_reach_is_still_found(tmp_path: Path, seeded_pipeline: RagPipeline) -> None:
    settings = make_settings(tmp_path / "data")
    store = UnreachableInChroma(settings, seeded_pipeline.embedder.name, seeded_pipeline.embedder.dim)
    pipeline = RagPipeline(settings, embedder=seeded_pipeline.embedder, store=store)
    pipeline.ingest_parsed([_harbour(i) for i in range(10)])
    pipeline.ingest_parsed([Parsed("pier", doc=Document(doc_id="pier", title="Harbour council", text=PIER))])
    question = "What did the harbour council vote on the pier?"
    vector = pipeline.embedder.embed([question])[0]
    assert "pier" not in {p.doc_id for p in store.query(vector, 11, None)}, "Chroma's search misses it"
    assert "pier" in {p.doc_id for p in pipeline.retrieve(question, 3, mode="dense")}
    answer = pipeline.ask(question)
    assert not answer.abstained and "pier" in answer.answer
    assert {c.doc_id for c in answer.citations} == {"pier"}
