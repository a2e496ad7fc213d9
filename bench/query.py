"""p50/p95 latency of retrieve and answer over the gold questions, in a warm process.

    .venv/bin/python bench/query.py [--gold eval/gold/seeds.jsonl] [--rounds 3]

Ingests seeds/ into a scratch store, warms up, then times every question. Writes
bench/results/query.json.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _results import write_result

from eval.gold import load_gold
from eval.metrics import percentile
from rag.pipeline import RagPipeline
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", type=Path, default=ROOT / "eval/gold/seeds.jsonl")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    items = load_gold(args.gold)
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = RagPipeline(Settings(_env_file=None, data_dir=Path(tmp) / "data"))  # type: ignore[call-arg]
        pipeline.ingest_paths([ROOT / "seeds"])
        for item in items:  # warm: models loaded, caches filled
            pipeline.ask(item.question, filters=item.filters)
        retrieve, answer, total = [], [], []
        for _ in range(args.rounds):
            for item in items:
                t = time.perf_counter()
                r = pipeline.ask(item.question, filters=item.filters)
                total.append((time.perf_counter() - t) * 1000)
                retrieve.append(r.timings.retrieve_ms)
                answer.append(r.timings.answer_ms)
    result = {
        name: {"p50": round(percentile(v, 50), 1), "p95": round(percentile(v, 95), 1)}
        for name, v in (("retrieve_ms", retrieve), ("answer_ms", answer), ("total_ms", total))
    }
    result["questions"] = len(items) * args.rounds
    write_result("query", result)


if __name__ == "__main__":
    main()
