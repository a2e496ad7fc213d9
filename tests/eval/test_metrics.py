from __future__ import annotations

import math

import pytest

from eval.metrics import (
    answer_containment,
    bootstrap_ci,
    hit_at_k,
    key_fact_recall,
    mrr_at_k,
    ndcg_at_k,
    normalize_answer,
    recall_at_k,
    rouge_l,
    token_f1,
)


def test_ranking_metrics_on_known_cases() -> None:
    ranked, gold = ["a", "b", "c", "d"], {"c", "x"}
    assert hit_at_k(ranked, gold, 2) == 0.0 and hit_at_k(ranked, gold, 3) == 1.0
    assert mrr_at_k(ranked, gold, 10) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, gold, 10) == 0.5
    assert ndcg_at_k(ranked, gold, 10) == pytest.approx((1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["c", "x"], gold, 10) == pytest.approx(1.0)


def test_text_metrics_on_known_cases() -> None:
    assert normalize_answer("The U.S.-led  Coalition!") == "u s led coalition"
    assert token_f1("the cat sat", "cat sat down") == pytest.approx(0.8)
    assert rouge_l("w x y z", "w y z v") == pytest.approx(0.75)
    assert token_f1("", "x") == 0.0 and rouge_l("x", "") == 0.0
    assert answer_containment("It was Squid Game, again.", ["squid game"]) == 1.0
    assert answer_containment("Nothing here.", ["squid game"]) == 0.0
    facts = [["dialogue is the only way"], ["constructive position", "fair stance"]]
    assert key_fact_recall("Oman said dialogue is the only way.", facts) == 0.5


def test_bootstrap_ci_is_deterministic_and_brackets_the_mean() -> None:
    values = [1.0] * 30 + [0.0] * 10
    lo, hi = bootstrap_ci(values)
    assert (lo, hi) == bootstrap_ci(values)
    assert lo < 0.75 < hi and lo > 0.55 and hi < 0.9
    assert bootstrap_ci([1.0] * 20) == (1.0, 1.0)


def test_strict_containment_wants_the_whole_phrase_in_the_answer_text() -> None:
    from eval.metrics import contains_phrase, strict_containment

    text = "The United Nations and the states of the region met. [1]"
    assert answer_containment(text, ["United States"]) == 1.0, "the loose metric credits words one by one"
    assert strict_containment(text, ["United States"]) == 0.0
    assert strict_containment("It was the Buffalo Bills [1].", ["buffalo bills"]) == 1.0
    assert contains_phrase("Pope Benedict XVI, laid to rest", "pope benedict xvi")
    assert not contains_phrase("the Squid Gamer show", "Squid Game"), "word-bounded"
    assert contains_phrase("Squid [1] Game", "Squid Game"), "a marker does not split a phrase"


@pytest.mark.parametrize(
    ("answer", "first"),
    [
        ("Portugal won the final [1]. Spain lost. [2]", "Portugal won the final "),
        ("Portugal won the final. [1] Spain lost. [2]", "Portugal won the final. "),
        ("Portugal won. Spain lost.", "Portugal won."),
    ],
)
def test_first_sentence_is_the_text_before_the_first_marker(answer: str, first: str) -> None:
    from eval.metrics import first_sentence

    assert first_sentence(answer) == first


def test_short_answer_exact_match_and_answer_bearing_rank() -> None:
    from eval.metrics import exact_match, first_bearing_rank, word_count

    assert exact_match("the Buffalo Bills.", ["Buffalo Bills"]) == 1.0
    assert exact_match("Bills", ["Buffalo Bills"]) == 0.0 and exact_match("", ["x"]) == 0.0
    assert first_bearing_rank(["a", "b", "c"], {"c", "b"}) == 2 and first_bearing_rank(["a"], set()) is None
    assert word_count("Portugal won [1]. Spain lost [2][3].") == 4


def test_chat_content_loses_its_sources_list_and_keeps_markers_in_sentences() -> None:
    from eval.server import strip_sources

    content = "Oman said dialogue is the only way [1].\n\nSources:\n[1] Oman and China — Xinhua, 2023-11-01 (x)"
    assert strip_sources(content) == "Oman said dialogue is the only way [1]."
    assert strip_sources("No sources here.") == "No sources here."


def test_a_chat_completion_is_read_from_its_structured_fields() -> None:
    from eval.server import from_chat

    body = {
        "model": "newsrag-extractive",
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": "Portugal. Portugal won the final [1].\n\nSources:\n[1] Final — AP, 2024-07-01 (x)",
                    "annotations": [
                        {
                            "type": "url_citation",
                            "url_citation": {"url": "https://example.org/a", "title": "Final", "start_index": 0},
                        }
                    ],
                }
            }
        ],
        "rag": {"abstained": False, "short_answer": {"text": "Portugal", "doc_id": "a", "start": 4, "end": 12}},
    }
    resp, _, short = from_chat(body)
    assert resp.answer == "Portugal. Portugal won the final [1]." and not resp.abstained
    assert [c.title for c in resp.citations] == ["Final"] and resp.citations[0].url == "https://example.org/a"
    assert short is not None and short["text"] == "Portugal"
    refused, _, none = from_chat({**body, "rag": {"abstained": True}})
    assert refused.abstained and none is None
