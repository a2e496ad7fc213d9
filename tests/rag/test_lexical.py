"""The BM25 snapshot: a rebuild reuses cached tokens but never serves stale ones."""

from __future__ import annotations

import numpy as np

from rag.lexical import LexicalIndex


def _row(cid: str, text: str, title: str = "T") -> tuple[str, str, dict[str, object], np.ndarray]:
    meta = {"doc_id": cid.split(":")[0], "title": title, "source_key": "", "published_day": 0}
    return cid, text, meta, np.ones(4, dtype=np.float32) / 2


def test_rebuild_reuses_tokens_and_prunes_removed_chunks() -> None:
    cache: dict[str, tuple[list[str], set[str]]] = {}
    first = LexicalIndex.build("g1", [_row("a:1", "Ferries resumed sailing."), _row("b:1", "The port closed.")], cache)
    assert [c for c, _ in first.search("ferries", 5)] == ["a:1"] and len(cache) == 2
    second = LexicalIndex.build(
        "g2", [_row("a:1", "Ferries resumed sailing."), _row("c:1", "Ferry fares rose.")], cache
    )
    assert {c for c, _ in second.search("ferry", 5)} == {"a:1", "c:1"}
    assert len(cache) == 2 and not any(k.startswith("b:1") for k in cache), "removed chunk pruned"
    retitled = LexicalIndex.build("g3", [_row("a:1", "Ferries resumed sailing.", title="Harbour news")], cache)
    assert [c for c, _ in retitled.search("harbour", 5)] == ["a:1"], "a new title is re-tokenised"
