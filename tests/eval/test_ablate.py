"""`rag eval --ablate` on the seeds gold set, and the rules a run records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.ablate import _scores, ablate, verdict
from eval.cli import register
from eval.gold import GoldItem, load_gold
from rag.answer.rules import RULE_NAMES
from rag.cli import app
from tests.conftest import ROOT

register(app)
GOLD = ROOT / "eval" / "gold" / "seeds.jsonl"
pytestmark = pytest.mark.slow


def test_each_rule_is_measured_with_it_switched_off(seeded_pipeline) -> None:  # type: ignore[no-untyped-def]
    items = [i for i in load_gold(GOLD) if i.type == "unanswerable"]
    report = ablate(seeded_pipeline, items)
    assert report["rules"] == list(RULE_NAMES) and set(report["contribution"]) == set(RULE_NAMES)
    base = report["baseline"]["all"]
    for name in RULE_NAMES:
        without = report["without"][name]["all"]
        assert report["contribution"][name]["all"]["abstention_accuracy"] == round(
            base["abstention_accuracy"] - without["abstention_accuracy"], 4
        )
    # Switched off, "What did X say?" for a speaker nobody quotes is answered from other speakers.
    assert report["contribution"]["speaker_quoted"]["all"]["abstention_accuracy"] > 0


def test_the_splits_are_those_the_run_labelled() -> None:
    """The ablation's tuning and validation cells group the rows by the split the run gave them
    (the whole benchmark's halves), not by halves recomputed over the questions it ran."""
    items = [
        GoldItem(id=f"q{i}", question="Which country?", answers=["Oman"], question_date=f"2024/01/0{i}") for i in (1, 2)
    ]
    rows = [
        {"id": "q1", "split": "tuning", "abstained": False, "answer": "Oman said so [1].", "abstention_correct": 1.0},
        {"id": "q2", "split": "tuning", "abstained": False, "answer": "Nobody did [1].", "abstention_correct": 1.0},
    ]
    scores = _scores({"questions": rows}, items)
    assert set(scores) == {"all", "tuning"} and scores["tuning"]["n"] == 2
    assert scores["tuning"]["strict_containment"] == 0.5


def test_verdicts() -> None:
    assert verdict({"a": 0.0, "b": 0.01}) == "earns"
    assert verdict({"a": 0.0, "b": 0.0}) == "nothing"
    assert verdict({"a": 0.02, "b": -0.01}) == "hurts"
    # A refusal of what it would answer wrongly lowers abstention accuracy, never the answers.
    assert verdict({"strict_containment": 0.0, "abstention_accuracy": -0.02, "no_wrong_answer": 0.02}) == (
        "refuses wrong answers"
    )
    assert verdict({"strict_containment": -0.02, "abstention_accuracy": -0.02, "no_wrong_answer": 0.02}) == "hurts"


def test_results_record_the_rules_that_ran(seeded_pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RAG_DATA_DIR", str(seeded_pipeline.settings.data_dir))
    monkeypatch.setenv("RAG_EMBED_CACHE", str(seeded_pipeline.settings.embed_cache))
    monkeypatch.setenv("RAG_RULES_OFF", "holder")
    r = CliRunner().invoke(app, ["eval", "--gold", str(GOLD), "--limit", "3", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    config = json.loads((tmp_path / "results.json").read_text())["config"]
    assert config["rules"] == [n for n in RULE_NAMES if n != "holder"] and config["rules_off"] == ["holder"]
