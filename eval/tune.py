"""Calibrate the ranking prior on the tuning half of a benchmark (its earlier weeks) only.

    .venv/bin/python -m eval.tune ../shared/datasets/realtimeqa-dev

Grid-searches recency weight and half-life, article-evidence and title weights with the same
retrieval `ask` uses (question date as as_of, time phrases, spelling repair), scores hit@5 +
MRR@10 on the tuning half, then reports the chosen values on both halves. The validation half
never influences the choice. Writes bench/results/tune.json; the chosen values go into
`rag/settings.py` by hand, with the date of the run.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

from eval.benchmark import prepare
from eval.gold import GoldItem, split_items
from eval.metrics import hit_at_k, mean, mrr_at_k
from rag.pipeline import RagPipeline
from rag.settings import Settings

GRID: dict[str, list[float]] = {
    "recency_weight": [0.0, 0.5, 1.0, 2.0, 4.0],
    "recency_half_life_days": [2.0, 4.0, 8.0, 16.0],
    "doc_evidence_weight": [0.0, 0.25, 0.5],
    "title_weight": [0.0, 0.5, 1.0],
}


def score(pipeline: RagPipeline, items: list[GoldItem]) -> dict[str, float]:
    hits, mrrs = [], []
    for item in items:
        result = pipeline.search(item.question, pipeline.settings.ranking_depth, item.filters, item.as_of_date())
        ranked = list(dict.fromkeys(p.doc_id for p in result.passages))
        hits.append(hit_at_k(ranked, item.gold_docs(), 5))
        mrrs.append(mrr_at_k(ranked, item.gold_docs(), 10))
    return {"hit@5": round(mean(hits), 4), "mrr@10": round(mean(mrrs), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("benchmark", type=Path)
    args = ap.parse_args()
    pipeline, items = prepare(Settings(), args.benchmark, None, None)
    tuning, validation = split_items(items, "tuning"), split_items(items, "validation")
    base = pipeline.settings
    trials: list[dict[str, Any]] = []
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values, strict=True))
        if params["recency_weight"] == 0 and params["recency_half_life_days"] != GRID["recency_half_life_days"][0]:
            continue  # the half-life means nothing without the prior
        pipeline.settings = base.model_copy(update=params)
        got = score(pipeline, tuning)
        trials.append({**params, **got, "objective": got["hit@5"] + got["mrr@10"]})
    best = max(trials, key=lambda t: t["objective"])
    chosen = {k: best[k] for k in GRID}
    pipeline.settings = base.model_copy(update=chosen)
    report = {
        "chosen": chosen,
        "tuning": score(pipeline, tuning),
        "validation": score(pipeline, validation),
        "n": {"tuning": len(tuning), "validation": len(validation)},
        "baseline_no_prior": {},
        "trials": sorted(trials, key=lambda t: -t["objective"])[:20],
    }
    pipeline.settings = base.model_copy(update=dict.fromkeys(GRID, 0.0) | {"recency_half_life_days": 7.0})
    report["baseline_no_prior"] = {"tuning": score(pipeline, tuning), "validation": score(pipeline, validation)}
    out = Path(__file__).resolve().parents[1] / "bench" / "results" / "tune.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "trials"}, indent=2))


if __name__ == "__main__":
    main()
