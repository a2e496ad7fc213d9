"""Calibrate the ranking prior on the tuning half of a benchmark (its earlier weeks) only.

    .venv/bin/python -m eval.tune ../shared/datasets/realtimeqa-dev

Grid-searches the recency prior (weight, half-life) with the same
retrieval `ask` uses (question date as as_of, time phrases, spelling repair), scores hit@5 +
MRR@10 on the tuning half, then the extractive answerer's sentence count, floor, type weight and
abstention threshold (answer containment and abstention, on the tuning weeks of the benchmark and of
eval/gold/rtqa_dev_typed.jsonl, and eval/gold/rtqa_dev_tuning_extra.jsonl) with that prior fixed, and reports the chosen values on both halves. The validation half
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
from eval.gold import GoldItem, load_gold, split_items
from eval.metrics import answer_containment, hit_at_k, key_fact_recall, mean, mrr_at_k
from rag.answer.render import sources_block
from rag.pipeline import RagPipeline
from rag.settings import Settings

# The sentence count is capped by max_answer_sentences (5), where the last run chose it; the other
# grids reach past the values the last run chose at an edge (type weight 0.2, floor 0.6). The
# restatement overlap (0.8) won every run so far and is fixed; the role and list bonuses are tuned
# since the tuning weeks hold role and list questions (eval/gold/rtqa_dev_tuning_extra.jsonl), on
# the two values each that tied in the last run.
ANSWER_GRID: dict[str, list[float]] = {
    "answer_type_weight": [0.1, 0.2, 0.3],
    "fact_sentences": [5],
    "fact_floor": [0.5, 0.6, 0.7],
    "echo_overlap": [0.8],
    "role_weight": [0.3, 0.4],
    "list_weight": [0.25, 0.35],
    # Swept 0.0-0.5 with the other values fixed, 2026-11-26: 0.2-0.5 gain one tuning question and
    # lose none; fixed at 0.3 here so the grid stays the size of one run.
    "holder_weight": [0.3],
}
# Typed questions over the same corpus (unanswerable-by-date among them): the answer stage is scored
# on their tuning weeks too, so the abstention threshold is judged on questions it should refuse.
TYPED_GOLD = Path(__file__).resolve().parent / "gold" / "rtqa_dev_typed.jsonl"
# More questions over articles of the tuning weeks only (RealTime QA style, and outlet questions),
# written to give the answer stage more to learn from than 48 questions; never validation weeks.
TUNING_EXTRA_GOLD = Path(__file__).resolve().parent / "gold" / "rtqa_dev_tuning_extra.jsonl"
GRID: dict[str, list[float]] = {
    "recency_weight": [0.0, 0.5, 1.0, 2.0, 4.0],
    "recency_half_life_days": [2.0, 4.0, 8.0, 16.0],
}


def nearest_best(
    trials: list[dict[str, Any]], key: str, grid: dict[str, list[float]], current: Settings
) -> dict[str, Any]:
    """The best trial; among ties, the one that moves the settings least (relative change summed
    over the grid's parameters), so a plateau never churns the configuration."""
    top = max(t[key] for t in trials)

    def change(t: dict[str, Any]) -> float:
        return sum(abs(t[k] - current.value(k)) / max(abs(current.value(k)), 1e-9) for k in grid)

    return min((t for t in trials if t[key] == top), key=change)


def score(pipeline: RagPipeline, items: list[GoldItem]) -> dict[str, float]:
    hits, mrrs = [], []
    for item in items:
        result = pipeline.search(item.question, pipeline.settings.ranking_depth, item.filters, item.as_of_date())
        ranked = list(dict.fromkeys(p.doc_id for p in result.passages))
        hits.append(hit_at_k(ranked, item.gold_docs(), 5))
        mrrs.append(mrr_at_k(ranked, item.gold_docs(), 10))
    return {"hit@5": round(mean(hits), 4), "mrr@10": round(mean(mrrs), 4)}


def _memoise_store(pipeline: RagPipeline) -> None:
    """The store does not change while tuning and the prior only re-weights the fusion: each
    store read is made once per distinct argument (Chroma's filtered queries dominate otherwise)."""
    store = pipeline.store
    memo: dict[Any, Any] = {}

    def wrap(name: str) -> None:
        original = getattr(store, name)

        def cached(*args: Any) -> Any:
            key = (name, *(a.tobytes() if hasattr(a, "tobytes") else json.dumps(a, default=str) for a in args))
            if key not in memo:
                memo[key] = original(*args)
            return memo[key]

        setattr(store, name, cached)

    for name in ("query", "chunk_rows", "committed_versions"):
        wrap(name)


def answer_score(pipeline: RagPipeline, items: list[GoldItem]) -> dict[str, float]:
    """Answer containment over answerable items (key-fact recall for a typed question that lists
    key facts instead of short answers), abstention over unanswerable ones, and their mean over all
    items (the objective: refusing a question it should answer costs as much as answering one it
    should refuse)."""
    contained, refused = [], []
    for item in items:
        resp = pipeline.ask(item.question, filters=item.filters, as_of=item.as_of_date())
        if not item.answerable:
            refused.append(1.0 if resp.abstained else 0.0)
            continue
        text = "" if resp.abstained else resp.answer + "\n" + sources_block(resp)  # as eval/runner.py scores it
        if item.answers:
            contained.append(answer_containment(text, item.answers))
        elif item.key_facts:
            contained.append(key_fact_recall(text, item.key_facts))
    return {
        "answer_containment": round(mean(contained), 4),
        "abstention": round(mean(refused), 4) if refused else 1.0,
        "objective": round(mean(contained + refused), 4),
    }


def tune_answers(pipeline: RagPipeline, tuning: list[GoldItem], validation: list[GoldItem]) -> dict[str, Any]:
    """Stage two, with the ranking prior fixed: the extractive answerer's sentence choice."""
    base = pipeline.settings
    trials = []
    for values in itertools.product(*ANSWER_GRID.values()):
        params = dict(zip(ANSWER_GRID, values, strict=True))
        candidate = RagPipeline(base.updated(**params), embedder=pipeline.embedder, store=pipeline.store)
        trials.append({**params, **answer_score(candidate, tuning)})
    best = nearest_best(trials, "objective", ANSWER_GRID, base)
    chosen = {k: best[k] for k in ANSWER_GRID}
    final = RagPipeline(base.updated(**chosen), embedder=pipeline.embedder, store=pipeline.store)
    return {
        "chosen": chosen,
        "tuning": answer_score(final, tuning),
        "validation": answer_score(final, validation),
        "trials": sorted(trials, key=lambda t: -t["objective"])[:10],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("benchmark", type=Path)
    args = ap.parse_args()
    pipeline, items = prepare(Settings(), args.benchmark, None, None)
    _memoise_store(pipeline)
    tuning, validation = split_items(items, "tuning"), split_items(items, "validation")
    base = pipeline.settings
    trials: list[dict[str, Any]] = []
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values, strict=True))
        if params["recency_weight"] == 0 and params["recency_half_life_days"] != GRID["recency_half_life_days"][0]:
            continue  # the half-life means nothing without the prior
        pipeline.settings = base.updated(**params)
        got = score(pipeline, tuning)
        trials.append({**params, **got, "objective": got["hit@5"] + got["mrr@10"]})
    best = nearest_best(trials, "objective", GRID, base)
    chosen = {k: best[k] for k in GRID}
    pipeline.settings = base.updated(**chosen)
    report = {
        "chosen": chosen,
        "tuning": score(pipeline, tuning),
        "validation": score(pipeline, validation),
        "n": {"tuning": len(tuning), "validation": len(validation)},
        "baseline_no_prior": {},
        "trials": sorted(trials, key=lambda t: -t["objective"])[:20],
    }
    pipeline.settings = base.updated(recency_weight=0.0)
    report["baseline_no_prior"] = {"tuning": score(pipeline, tuning), "validation": score(pipeline, validation)}
    pipeline.settings = base.updated(**chosen)
    # The typed questions carry an as_of, not a question week: they split at the benchmark's boundary.
    boundary = min(i.as_of_date() for i in validation)
    typed = load_gold(TYPED_GOLD) if TYPED_GOLD.exists() else []
    typed_tuning = [i for i in typed if i.as_of_date() < boundary]
    typed_validation = [i for i in typed if i.as_of_date() >= boundary]
    extra = load_gold(TUNING_EXTRA_GOLD) if TUNING_EXTRA_GOLD.exists() else []
    if any(i.as_of_date() >= boundary for i in extra):
        raise SystemExit(f"{TUNING_EXTRA_GOLD.name} must hold tuning-week questions only (as_of before {boundary})")
    report["n"]["typed"] = {"tuning": len(typed_tuning), "validation": len(typed_validation)}
    report["n"]["tuning_extra"] = len(extra)
    report["answers"] = tune_answers(pipeline, tuning + typed_tuning + extra, validation + typed_validation)
    out = Path(__file__).resolve().parents[1] / "bench" / "results" / "tune.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "trials"}, indent=2))


if __name__ == "__main__":
    main()
