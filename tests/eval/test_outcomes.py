"""Outcome classes: every question gets one, and the misses' counts add up to the misses."""

from __future__ import annotations

from typing import Any

import pytest

from eval.outcomes import CLASSES, classify, is_miss
from eval.runner import aggregate

BASE: dict[str, Any] = {
    "answerable": True,
    "abstained": False,
    "retrieved_docs": ["a", "b"],
    "gold_docs": ["a"],
    "bearing_docs": ["b"],
    "time_window": None,
    "refusal_reason": None,
    "strict_containment": 1.0,
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, "right"),
        ({"strict_containment": 0.0}, "answer_miss"),
        ({"strict_containment": 0.0, "bearing_docs": []}, "retrieval_miss"),
        ({"abstained": True, "strict_containment": 0.0, "refusal_reason": "too weak"}, "false_refusal"),
        ({"abstained": True, "strict_containment": 0.0, "bearing_docs": []}, "retrieval_miss"),
        (
            {"abstained": True, "strict_containment": 0.0, "retrieved_docs": [], "bearing_docs": [], "time_window": {}},
            "time_window_empty",
        ),
        ({"answerable": False}, "answered_unanswerable"),
        ({"answerable": False, "abstained": True}, "right_refusal"),
    ],
)
def test_each_class_from_its_row(change: dict[str, Any], expected: str) -> None:
    assert classify({**BASE, **change})[0] == expected


def test_key_fact_rows_without_short_answers_use_gold_documents() -> None:
    row = {k: v for k, v in BASE.items() if k not in ("bearing_docs", "strict_containment")}
    assert classify({**row, "key_fact_recall": 0.5})[0] == "partial"
    assert classify({**row, "key_fact_recall": 0.0, "gold_docs": ["z"]})[0] == "retrieval_miss"
    assert classify({**row, "key_fact_recall": 0.0})[0] == "answer_miss"


def test_a_refusal_keeps_its_rule_and_reason() -> None:
    row = {**BASE, "abstained": True, "refusal_reason": "no passage answers the question closely enough."}
    assert classify(row) == ("false_refusal", "no passage answers the question closely enough.")
    assert (
        classify({**row, "refusal_rule": "closeness"})[1]
        == "closeness: no passage answers the question closely enough."
    )


def test_counts_add_up_to_the_misses() -> None:
    rows = []
    for i, change in enumerate([{}, {"strict_containment": 0.0}, {"answerable": False}, {"abstained": True}]):
        row = {**BASE, **change, "type": "fact", "retrieve_ms": 1.0, "answer_ms": 1.0, "abstention_correct": 1.0}
        row["outcome"] = classify(row)[0]
        row["id"] = str(i)
        rows.append(row)
    outcomes = aggregate(rows)["outcomes"]
    assert sum(outcomes.values()) == len(rows)
    assert sum(n for c, n in outcomes.items() if is_miss(c)) == sum(is_miss(r["outcome"]) for r in rows) == 3
    assert set(outcomes) <= set(CLASSES)


def test_a_refusal_for_another_reason_than_the_gold_names_is_its_own_class() -> None:
    row = {
        **BASE,
        "answerable": False,
        "abstained": True,
        "refusal_reason": "no passage answers the question closely enough.",
        "expected_refusal": "name",
    }
    outcome, detail = classify(row)
    assert outcome == "wrong_refusal_kind" and is_miss(outcome)
    assert detail is not None and "name" in detail and "closeness" in detail
    named = {**row, "refusal_reason": "no indexed article mentions Norway."}
    assert classify(named)[0] == "right_refusal"
    dated = {**row, "expected_refusal": "date", "retrieved_docs": [], "time_window": {"phrase": "in 2019"}}
    assert classify(dated)[0] == "right_refusal"
