"""Why each question was right or wrong: one outcome class per question, from its scored row.

The classes split the misses by where the answer was lost, so a run says *why* as well as how
many: the archive never reached (retrieval), the answerer dropping what retrieval found
(answer miss, false refusal), the question's time phrase emptying the evidence, or an
unanswerable question answered. Every question gets exactly one class, so the counts of the
miss classes add up to the misses.
"""

from __future__ import annotations

import re
from typing import Any

RIGHT = "right"
RIGHT_REFUSAL = "right_refusal"
PARTIAL = "partial"
ANSWER_MISS = "answer_miss"
RETRIEVAL_MISS = "retrieval_miss"
FALSE_REFUSAL = "false_refusal"
TIME_WINDOW_EMPTY = "time_window_empty"
ANSWERED_UNANSWERABLE = "answered_unanswerable"
WRONG_REFUSAL_KIND = "wrong_refusal_kind"

CORRECT = frozenset({RIGHT, RIGHT_REFUSAL})
# Shown in this order, the misses first, with what each means.
CLASSES = {
    FALSE_REFUSAL: "refused, though an answer-bearing article was among the retrieved ones",
    TIME_WINDOW_EMPTY: "refused: the question's time phrase left no article in its window",
    ANSWER_MISS: "an answer-bearing article was retrieved, but the answer does not hold the answer",
    PARTIAL: "some of the key facts, not all",
    RETRIEVAL_MISS: "no retrieved article holds an acceptable answer",
    ANSWERED_UNANSWERABLE: "an unanswerable question was answered instead of refused",
    WRONG_REFUSAL_KIND: "an unanswerable question refused, but not for what the gold says the archive lacks",
    RIGHT: "the answer holds an acceptable answer (or every key fact)",
    RIGHT_REFUSAL: "an unanswerable question, refused",
}


# What a refusal says the evidence lacks, read from the answerer's reasons (rag/answer/abstention.py).
REFUSAL_KINDS = (
    ("name", re.compile(r"^no (?:indexed|retrieved) article mentions|reports what .* said")),
    ("date", re.compile(r"^no indexed article published from")),
    ("kind", re.compile(r"give no ")),
    ("outcome", re.compile(r"do not report this outcome")),
)


def refusal_kind(row: dict[str, Any]) -> str | None:
    """'name', 'date', 'kind', 'outcome' or 'other' for a refusal; None otherwise."""
    if not row["abstained"]:
        return None
    if row.get("time_window") is not None and not row.get("retrieved_docs"):
        return "date"
    reason = str(row.get("refusal_reason") or "")
    return next((kind for kind, pattern in REFUSAL_KINDS if pattern.search(reason)), "other")


def is_miss(outcome: str) -> bool:
    return outcome not in CORRECT


def _answer_held(row: dict[str, Any]) -> float | None:
    """How much of the answer the answer text holds: strict containment where the gold gives
    short answers, key-fact recall where it gives key facts, None where it gives neither."""
    if "strict_containment" in row:
        return float(row["strict_containment"])
    if "key_fact_recall" in row:
        return float(row["key_fact_recall"])
    return None


def _evidence_retrieved(row: dict[str, Any]) -> bool | None:
    """Did retrieval reach the answer: an answer-bearing article (short answers), else a gold
    article, among the retrieved ones; None when the gold gives neither."""
    if "bearing_docs" in row:
        return bool(row["bearing_docs"])
    if row.get("gold_docs"):
        return bool(set(row["gold_docs"]) & set(row["retrieved_docs"]))
    return None


def classify(row: dict[str, Any]) -> tuple[str, str | None]:
    """(class, detail): the detail is the refusal's rule and reason for a refusal."""
    refusal = None
    if row["abstained"]:
        rule = row.get("refusal_rule")
        refusal = f"{rule}: {row.get('refusal_reason')}" if rule else row.get("refusal_reason")
    if not row["answerable"]:
        if not row["abstained"]:
            return ANSWERED_UNANSWERABLE, None
        wanted, said = row.get("expected_refusal"), refusal_kind(row)
        if wanted and said != wanted:
            return WRONG_REFUSAL_KIND, f"expected a refusal for lack of {wanted}, got {said} ({refusal})"
        return RIGHT_REFUSAL, refusal
    retrieved = _evidence_retrieved(row)
    if row["abstained"]:
        if row.get("time_window") is not None and not row["retrieved_docs"]:
            return TIME_WINDOW_EMPTY, refusal
        if retrieved is False:
            return RETRIEVAL_MISS, refusal
        return FALSE_REFUSAL, refusal
    held = _answer_held(row)
    if held is None or held >= 1.0:
        return RIGHT, None
    if held > 0:
        return PARTIAL, None
    return (RETRIEVAL_MISS if retrieved is False else ANSWER_MISS), None
