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
    row = {**BASE, "abstained": True, "refusal_reason": "no retrieved article mentions norway."}
    assert classify(row) == ("false_refusal", "no retrieved article mentions norway.")
    assert (
        classify({**row, "refusal_rule": "names_in_article"})[1]
        == "names_in_article: no retrieved article mentions norway."
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
        "refusal_reason": "the retrieved articles give no number for this question.",
        "expected_refusal": "name",
    }
    outcome, detail = classify(row)
    assert outcome == "wrong_refusal_kind" and is_miss(outcome)
    assert detail is not None and "name" in detail and "kind" in detail
    named = {**row, "refusal_reason": "no indexed article mentions Norway."}
    assert classify(named)[0] == "right_refusal"
    dated = {**row, "expected_refusal": "date", "retrieved_docs": [], "time_window": {"phrase": "in 2019"}}
    assert classify(dated)[0] == "right_refusal"


def test_score_one_reads_short_answer_and_answer_bearing_articles() -> None:
    from types import SimpleNamespace

    from eval.gold import GoldItem
    from eval.runner import score_one
    from rag.answer.citations import CitationChecker
    from rag.index.embed import HashingEmbedder
    from rag.models import AskResponse

    embedder = HashingEmbedder()
    scorer = SimpleNamespace(embedder=embedder, checker=CitationChecker(embedder))
    item = GoldItem(id="q", question="Who won the final?", answers=["Portugal"], gold_doc_ids=["c"])
    texts = {"a": "Spain lost a match.", "b": "Portugal won the final on Sunday.", "c": "Portugal, the winner."}
    resp = AskResponse(answer="Spain lost [1]. Portugal won the final [2].", answerer="extractive")
    short = {"text": "Portugal", "doc_id": "b", "start": 0, "end": 8}
    row = score_one(scorer, item, resp, ["a", "b", "c"], 1.0, texts.get, short)  # type: ignore[arg-type]
    assert row["bearing_docs"] == ["b", "c"] and row["answer_doc_rank"] == 2
    assert (row["answer_doc_hit@1"], row["answer_doc_hit@3"], row["answer_doc_mrr@10"]) == (0.0, 1.0, 0.5)
    assert row["hit@1"] == 0.0 and row["hit@3"] == 1.0, "the gold-document figure beside it"
    assert row["strict_containment"] == 1.0 and row["first_sentence_containment"] == 0.0
    assert row["short_answer_em"] == 1.0 and row["answer_words"] == 6 and row["outcome"] == "right"
    assert score_one(scorer, item, resp, ["a"], 1.0, texts.get, None)["short_answer_em"] == 0.0  # type: ignore[arg-type]


def test_the_report_gives_short_answer_exact_match_by_agreeing_articles() -> None:
    from types import SimpleNamespace

    from eval.gold import GoldItem
    from eval.report import agreement_table
    from eval.runner import score_one
    from rag.answer.citations import CitationChecker
    from rag.index.embed import HashingEmbedder
    from rag.models import AskResponse, Citation

    embedder = HashingEmbedder()
    scorer = SimpleNamespace(embedder=embedder, checker=CitationChecker(embedder))
    item = GoldItem(id="q", question="Who won the final?", answers=["Portugal"])

    def cite(n: int, doc_id: str, quote: str) -> Citation:
        return Citation(
            n=n,
            doc_id=doc_id,
            chunk_id=f"{doc_id}-0",
            title=doc_id,
            text=quote,
            quote=quote,
            start=0,
            end=len(quote),
            score=1.0,
        )

    citations = [cite(1, "a", "Portugal won."), cite(2, "a", "Portugal lifted it."), cite(3, "b", "Portugal's win.")]
    resp = AskResponse(
        answer="Portugal. Portugal won [1]. Portugal lifted it [2]. Portugal's win [3].",
        citations=citations,
        answerer="extractive",
    )
    short = {"text": "Portugal", "doc_id": "a", "start": 0, "end": 8, "citation": 1, "stated_in": [1, 2, 3]}
    row = score_one(scorer, item, resp, ["a", "b"], 1.0, None, short)  # type: ignore[arg-type]
    assert row["short_answer_articles"] == 2, "two quotes of one article count as one article"
    lone = score_one(scorer, item, resp, ["a"], 1.0, None, {**short, "text": "Spain", "stated_in": [1]})  # type: ignore[arg-type]
    assert lone["short_answer_articles"] == 1 and lone["short_answer_em"] == 0.0
    table = "\n".join(agreement_table([row, lone, {"id": "refused", "short_answer_em": 0.0}]))
    assert "| 1 | 1 | 0.00 |" in table and "| 2 | 1 | 1.00 |" in table
    assert agreement_table([{"id": "x", "short_answer_em": 0.0}]) == []
    cited = GoldItem(id="c", question="What did Portugal say?", answers=["Portugal"], gold_doc_ids=["a"])
    plain = score_one(scorer, cited, resp, ["a"], 1.0, None, None)  # type: ignore[arg-type]
    assert "short_answer_articles" not in plain, "no short answer, no count"
    assert plain["citation_recall"] == 1.0 and "citation_precision" in plain, "the citation scores still run"
