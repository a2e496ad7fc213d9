"""Filtered against unfiltered retrieval on a benchmark's whole-corpus store (warm process).

    .venv/bin/python bench/filters.py [../shared/datasets/realtimeqa-dev] [--rounds 3]

Times `RagPipeline.retrieve` (dense + BM25 + fusion) for every question of the benchmark,
unfiltered and with each kind of filter: an as_of bound (the question's date), an 8-day
published window, one outlet, and the gold document ids. Writes bench/results/filters.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from _results import write_result

from eval.benchmark import prepare
from eval.metrics import percentile
from rag.models import Filters
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("benchmark", nargs="?", type=Path, default=ROOT.parent / "shared/datasets/realtimeqa-dev")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--overfetch", type=int, default=None, help="RAG_FILTER_OVERFETCH for this run (1 = Chroma's filter)"
    )
    args = ap.parse_args()
    settings = Settings()
    if args.overfetch is not None:
        settings = settings.model_copy(update={"filter_overfetch": args.overfetch})
    pipeline, items = prepare(settings, args.benchmark, None, None)
    index = pipeline.lexical_index()
    outlet = "cnn.com"

    def cases(item):  # type: ignore[no-untyped-def]
        day = item.as_of_date() or dt.date.today()
        return {
            "unfiltered": (None, None),
            "as_of": (None, day),
            "window_8_days": (Filters(published_from=day - dt.timedelta(days=8), published_to=day), None),
            "outlet": (Filters(sources=[outlet]), None),
            "doc_ids": (Filters(doc_ids=sorted(item.gold_docs())), None),
        }

    for item in items[:5]:  # warm the embedder and caches
        for filters, as_of in cases(item).values():
            pipeline.retrieve(item.question, 6, filters, index=index, as_of=as_of)
    timings: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for item in items:
            for name, (filters, as_of) in cases(item).items():
                t = time.perf_counter()
                pipeline.retrieve(item.question, 6, filters, index=index, as_of=as_of)
                timings.setdefault(name, []).append((time.perf_counter() - t) * 1000)
    base = percentile(timings["unfiltered"], 50)
    result = {
        "store_chunks": len(index),
        "questions": len(items),
        "rounds": args.rounds,
        "filter_overfetch": settings.filter_overfetch,
        "p50_ms": {k: round(percentile(v, 50), 1) for k, v in timings.items()},
        "p95_ms": {k: round(percentile(v, 95), 1) for k, v in timings.items()},
        "p50_ratio_to_unfiltered": {k: round(percentile(v, 50) / base, 2) for k, v in timings.items()},
    }
    write_result("filters" if args.overfetch is None else f"filters-overfetch{args.overfetch}", result)


if __name__ == "__main__":
    main()
