"""A saved article page whose paragraphs are runs of inline tags, as real pages' often are: the
shape that made HTML extraction quadratic (trafilatura's strip_tags left split lxml text nodes).
Used by tests/reliability/test_html_parsing.py and bench/html_parse.py alike."""

from __future__ import annotations

WORDS = [
    "harbour",
    "council",
    "voted",
    "on",
    "tuesday",
    "to",
    "build",
    "a",
    "new",
    "pier",
    "the",
    "mayor",
    "said",
    "residents",
    "welcomed",
    "it",
]


def inline_tag_page(size: int) -> bytes:
    """About `size` bytes of article: paragraphs of 400 inline-tagged runs of 12 words each."""
    spans = []
    total = 0
    i = 0
    while total < size:
        tag = ("span", "b", "a", "em")[i % 4]
        attr = ' href="/story"' if tag == "a" else ""
        piece = f"<{tag}{attr}>{' '.join(WORDS[(i + k) % len(WORDS)] for k in range(12))} {i}.</{tag}> "
        spans.append(piece if i % 400 else f"</p><p>{piece}")
        total += len(piece)
        i += 1
    return (
        f"<html><head><title>Pier</title></head><body><article><p>{''.join(spans)}</p></article></body></html>".encode()
    )
