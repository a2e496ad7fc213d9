"""`rag eval --ablate`: what each answer rule earns, measured by running the set with it switched off.

One baseline run with every rule on, then one run per rule with that rule alone off (the parts
are shared: the embedder's cache makes the later runs cheap). A rule's contribution is the
baseline's metric minus the metric without it, overall and on each split (tuning weeks,
validation weeks) of a benchmark: positive, the rule earns its place; zero, it earns nothing
there; negative, the set is better without it. The README's ablation table is this report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eval.gold import SPLITS, GoldItem
from eval.metrics import first_sentence, strict_containment
from eval.runner import run
from rag.components import Components
from rag.pipeline import RagPipeline

# The metrics compared, in the report's order; a metric the run does not define is left out.
ABLATION_METRICS = (
    "strict_containment",
    "first_sentence_containment",
    "answer_containment",
    "abstention_accuracy",
    "no_wrong_answer",
)


def _answer_metrics(row: dict[str, Any], item: GoldItem) -> dict[str, float]:
    """Strict and first-sentence containment of one answer, read from the answer text alone (not
    the Sources list); the harness's own metrics are used instead where a run reports them."""
    if not item.answerable:
        # A wrong answer is worse than a refusal: `no_wrong_answer` is 1 for a refusal or a right answer.
        return {"no_wrong_answer": 1.0 if row["abstained"] else 0.0}
    if not item.answers:
        return {}
    answer = "" if row["abstained"] else str(row["answer"])
    strict = strict_containment(answer, item.answers)
    return {
        "strict_containment": strict,
        "first_sentence_containment": strict_containment(first_sentence(answer), item.answers),
        "no_wrong_answer": 1.0 if row["abstained"] else strict,
    }


def _scores(result: dict[str, Any], items: list[GoldItem]) -> dict[str, dict[str, float]]:
    """{"all" | split: {metric: value}} of one run."""
    by_id = {i.id: i for i in items}
    groups: dict[str, list[dict[str, Any]]] = {"all": result["questions"]}
    for name in SPLITS:
        part = [r for r in result["questions"] if r.get("split") == name]
        if part:
            groups[name] = part
    out: dict[str, dict[str, float]] = {}
    for group, rows in groups.items():
        values: dict[str, list[float]] = {m: [] for m in ABLATION_METRICS}
        for r in rows:
            measured = _answer_metrics(r, by_id[r["id"]])
            for m in ABLATION_METRICS:
                v = r.get(m, measured.get(m))
                if m == "abstention_accuracy":
                    v = r["abstention_correct"]
                if isinstance(v, float):
                    values[m].append(v)
        out[group] = {m: round(sum(v) / len(v), 4) for m, v in values.items() if v}
        out[group]["n"] = len(rows)
    return out


def ablate(
    pipeline: RagPipeline,
    items: list[GoldItem],
    answerer: str | None = None,
    top_k: int | None = None,
    progress: Callable[[str], None] | None = None,
    weeks: list[str] | None = None,
) -> dict[str, Any]:
    """The baseline and, for each rule that runs, the scores without it and its contribution.
    `weeks`: as for `run`, the whole benchmark's question weeks when `items` is a part of it."""
    base_settings = pipeline.settings
    rules = pipeline.rules.names
    baseline = _scores(run(pipeline, items, answerer=answerer, top_k=top_k, weeks=weeks), items)
    if progress:
        progress("baseline")
    report: dict[str, Any] = {"rules": rules, "baseline": baseline, "without": {}, "contribution": {}}
    for name in rules:
        off = ",".join([*base_settings.rules_off_set, name])
        # The same parts (one model, one store, one lexical index) with one rule less.
        parts = Components(pipeline.embedder, pipeline.store, pipeline.lexical_manager, pipeline.annotator)
        without = RagPipeline(base_settings.updated(rules_off=off), parts)
        scores = _scores(run(without, items, answerer=answerer, top_k=top_k, weeks=weeks), items)
        report["without"][name] = scores
        report["contribution"][name] = {
            group: {m: round(baseline[group][m] - scores[group].get(m, 0.0), 4) for m in baseline[group] if m != "n"}
            for group in baseline
        }
        if progress:
            progress(name)
    return report


def verdict(contribution: dict[str, float]) -> str:
    """earns (some metric up, none down), hurts (some metric down), nothing (all unchanged); and
    "refuses wrong answers" when it lowers abstention accuracy alone, by refusing answerable
    questions that are answered wrongly without it (no_wrong_answer rises by as much)."""
    down = {m for m, v in contribution.items() if v < 0}
    if (
        down == {"abstention_accuracy"}
        and contribution.get("no_wrong_answer", 0.0) >= -contribution["abstention_accuracy"]
    ):
        return "refuses wrong answers"
    if down:
        return "hurts"
    return "earns" if any(v > 0 for v in contribution.values()) else "nothing"


def markdown(report: dict[str, Any], title: str) -> str:
    """One row per rule: its contribution to each metric on each split ("+0.012" = the set
    scores that much more with the rule than without it)."""
    groups = [g for g in ("tuning", "validation", "all") if g in report["baseline"]]
    metrics = [m for m in ABLATION_METRICS if m in report["baseline"]["all"]]
    short = {
        "strict_containment": "strict",
        "first_sentence_containment": "first",
        "answer_containment": "contain",
        "abstention_accuracy": "abst",
        "no_wrong_answer": "no-wrong",
    }
    head = [f"{g} {short[m]}" for g in groups for m in metrics]
    judged = "validation" if "validation" in groups else "all"
    lines = [
        f"## Ablation: {title}",
        "",
        "Baseline (every rule on): "
        + "; ".join(
            f"{g} (n={report['baseline'][g]['n']}) "
            + ", ".join(f"{short[m]} {report['baseline'][g][m]:.3f}" for m in metrics)
            for g in groups
        ),
        "",
        "| rule | " + " | ".join(head) + f" | on {judged} |",
        "|---" * (len(head) + 2) + "|",
    ]
    for name in report["rules"]:
        c = report["contribution"][name]
        cells = [f"{c[g][m]:+.3f}" if c[g][m] else "0" for g in groups for m in metrics]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {verdict(c[judged])} |")
    return "\n".join(lines) + "\n"
