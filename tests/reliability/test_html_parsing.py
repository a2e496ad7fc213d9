"""Reported: HTML extraction was superlinear (0.5 MB in 3.2 s, 2 MB in 45.7 s): trafilatura
unwraps inline tags with lxml's `strip_tags`, whose split text nodes lxml reads quadratically. The
bound here is relative (4x the input in a small multiple of the time), as the acceptance asks."""

from __future__ import annotations

import time

import pytest

from rag.errors import InvalidDocument
from rag.ingest.parsers import ParseLimits, parse_bytes
from tests.fakes.pages import inline_tag_page as _page

pytestmark = pytest.mark.slow


def _seconds(raw: bytes) -> float:
    best = float("inf")
    for _ in range(3):  # the best of three: the machine is shared
        started = time.perf_counter()
        [doc] = list(parse_bytes(raw, "page.html"))
        best = min(best, time.perf_counter() - started)
        assert len(doc.text) > len(raw) // 2
    return best


def test_a_2mb_page_parses_in_a_small_multiple_of_a_half_mb_one() -> None:
    small, large = _seconds(_page(500_000)), _seconds(_page(2_000_000))
    assert large < 6 * small, (small, large)  # linear: 3.7x here; the quadratic parse: 8.8x


def test_a_page_over_the_html_budget_is_refused_with_its_reason() -> None:
    with pytest.raises(InvalidDocument, match="RAG_MAX_HTML_BYTES"):
        list(parse_bytes(_page(200_000), "page.html", limits=ParseLimits(max_html_bytes=100_000)))
