"""Filters are expressed once; the Chroma clause, the lexical index's query and the Python predicate agree,
and an over-fetched filtered search returns what Chroma's own filtered search returns."""

from __future__ import annotations

import datetime as dt
import itertools

from rag.models import Document, Filters
from rag.retrieval.filtering import conditions, matches, to_where

ROWS = [
    {"doc_id": f"d{i}", "source_key": src, "published_day": day}
    for i, (src, day) in enumerate(itertools.product(["xinhua", "tass", ""], [0, 20231010, 20231101, 20231121]))
]
FILTERS = [
    None,
    Filters(sources=["Xinhua"]),
    Filters(published_from=dt.date(2023, 10, 15)),
    Filters(published_to=dt.date(2023, 11, 1), doc_ids=["d1", "d2", "d5"]),
]


def test_index_selection_and_predicate_agree(fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    from rag.ingest.ingester import Parsed

    docs = [
        Document(
            doc_id=r["doc_id"],
            title=f"Note {r['doc_id']}",
            text=f"Harbour note number {r['doc_id']} about the ferry timetable.",
            source=r["source_key"].upper() or None,
            published=dt.date(r["published_day"] // 10000, r["published_day"] // 100 % 100, r["published_day"] % 100)
            if r["published_day"]
            else None,
        )
        for r in ROWS
    ]
    fresh_pipeline.ingest_parsed([Parsed(d.doc_id, doc=d) for d in docs])
    index = fresh_pipeline.lexical_index()
    chunk_meta = {c.chunk_id: c.meta.to_chroma() for c in fresh_pipeline.store.committed_chunks()}
    for filters, as_of in itertools.product(FILTERS, [None, dt.date(2023, 11, 2)]):
        conds = conditions(filters, as_of)
        selection = index.select(filters, as_of, 10_000)
        if not conds:
            assert selection is None and to_where(conds) is None
            continue
        assert selection is not None and selection.rows is not None
        vector = fresh_pipeline.embedder.embed(["ferry timetable"])[0]
        selected = {cid for cid, _ in index.nearest(vector, 10_000, selection)}
        assert selected == {cid for cid, meta in chunk_meta.items() if matches(meta, conds)}, (filters, as_of)
        lexical = {cid for cid, _ in index.search("ferry timetable", 10_000, filters, as_of)}
        assert lexical == selected, (filters, as_of)
    nobody = index.select(Filters(sources=["nobody"]), None, 10_000)
    assert nobody is not None and nobody.count == 0
    broad = index.select(Filters(sources=["Harbour Post", "xinhua", "tass"]), None, 1)
    assert broad is not None and broad.rows is None and broad.count > 1, "over the limit: counted, not listed"


def test_as_of_keeps_undated_but_a_date_filter_does_not() -> None:
    undated = {"doc_id": "x", "source_key": "", "published_day": 0}
    assert matches(undated, conditions(None, dt.date(2023, 1, 1)))
    assert not matches(undated, conditions(Filters(published_to=dt.date(2023, 1, 1))))


def test_overfetched_filtered_search_equals_chromas(fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    from rag.ingest.ingester import Parsed

    docs = [
        Document(
            doc_id=f"n{i}",
            title=f"Harbour note {i}",
            text=f"The harbour at port {i} reopened after storm repairs on day {i}.",
            source="Harbour Post" if i % 2 else "Coast Daily",
            published=dt.date(2023, 1, 1) + dt.timedelta(days=i),
        )
        for i in range(30)
    ]
    fresh_pipeline.ingest_parsed([Parsed(d.doc_id, doc=d) for d in docs])
    store = fresh_pipeline.store
    vector = fresh_pipeline.embedder.embed(["harbour reopened after repairs"])[0]
    cases = [
        (Filters(sources=["Coast Daily"]), None),
        (None, dt.date(2023, 1, 20)),
        (Filters(doc_ids=["n3", "n7", "n12"]), None),
        (Filters(doc_ids=["n3", "n7", "n12"]), dt.date(2023, 1, 8)),
    ]
    for filters, as_of in cases:
        fast = store.query(vector, 5, filters, as_of)
        exact = store._nearest(store._h(), vector, 5, to_where(conditions(filters, as_of)))
        assert [p.chunk_id for p in fast] == [p.chunk_id for p, _ in exact]
