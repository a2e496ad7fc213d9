"""HTML extraction time against page size (trafilatura + our parser), one core.

    .venv/bin/python bench/html_parse.py [--sizes 0.5,1,2,4]

Writes bench/results/html_parse.json: seconds per page for pages of inline-tag-heavy paragraphs
(the shape that was quadratic: 3.2 s at 0.5 MB, 45.7 s at 2 MB before rag/ingest/html_text.py),
with and without the linear `strip_tags`, so the README's figures can be re-measured.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._results import write_result  # noqa: E402
from rag.ingest import html_text  # noqa: E402
from rag.ingest.parsers import parse_bytes  # noqa: E402
from tests.fakes.pages import inline_tag_page as _page  # noqa: E402


def _seconds(raw: bytes) -> float:
    started = time.perf_counter()
    list(parse_bytes(raw, "page.html"))
    return round(time.perf_counter() - started, 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="0.5,1,2,4", help="page sizes in MB")
    ap.add_argument(
        "--without-fix-max-mb", type=float, default=2.0, help="largest size also timed with lxml's strip_tags"
    )
    args = ap.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    pages = {mb: _page(int(mb * 1_000_000)) for mb in sizes}
    linear = {f"{mb:g} MB": _seconds(pages[mb]) for mb in sizes}
    import trafilatura  # noqa: F401  (loaded before switching strip_tags back)

    for name in html_text._TRAFILATURA_MODULES:
        sys.modules[name].strip_tags = html_text._lxml_strip_tags  # type: ignore[attr-defined]
    html_text.install = lambda: None  # type: ignore[assignment]
    lxml = {f"{mb:g} MB": _seconds(pages[mb]) for mb in sizes if mb <= args.without_fix_max_mb}
    write_result("html_parse", {"seconds_linear_strip_tags": linear, "seconds_lxml_strip_tags": lxml})


if __name__ == "__main__":
    main()
