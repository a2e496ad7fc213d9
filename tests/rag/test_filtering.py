"""Filters are expressed once; the Chroma clause, the lexical mask and the Python predicate agree,
and an over-fetched filtered search returns what Chroma's own filtered search returns."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np

from rag.filtering import conditions, mask, matches, to_where
from rag.models import Document, Filters

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


def test_mask_and_predicate_agree() -> None:
    columns = {k: np.asarray([r[k] for r in ROWS], dtype=object if k != "published_day" else np.int64) for k in ROWS[0]}
    for filters, as_of in itertools.product(FILTERS, [None, dt.date(2023, 11, 2)]):
        conds = conditions(filters, as_of)
        expected = [matches(r, conds) for r in ROWS]
        got = mask(columns, len(ROWS), conds)
        assert (got is None and not conds) or list(got) == expected  # type: ignore[arg-type]
        assert (to_where(conds) is None) == (not conds)


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
        assert [h[0] for h in fast] == [h[0] for h in exact]
