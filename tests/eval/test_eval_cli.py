"""`rag eval` end to end on the seeds gold set: floors, the gate, --compare, the reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.cli import register
from eval.gold import load_gold
from eval.report import compare, html_report
from eval.runner import run
from rag.cli import app
from tests.conftest import ROOT

register(app)  # `rag eval` is registered in main(); CliRunner calls `app` directly

GOLD = ROOT / "eval" / "gold" / "seeds.jsonl"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seeds_result(seeded_pipeline):  # type: ignore[no-untyped-def]
    result = run(seeded_pipeline, load_gold(GOLD))
    result["config"] = {"name": "seeds"}
    return result


def test_gold_set_is_substantial() -> None:
    items = load_gold(GOLD)
    assert len(items) >= 40 and sum(not i.answerable for i in items) >= 8
    assert {i.type for i in items} >= {"speaker", "fact", "date", "multi-source", "misspelled", "unanswerable"}


def test_seeds_answers_meet_their_floors(seeds_result) -> None:  # type: ignore[no-untyped-def]
    m = seeds_result["summary"]["metrics"]
    assert m["key_fact_recall"] >= 0.9, m
    assert m["citation_precision"] >= 0.95, m
    assert m["abstention_accuracy"] >= 0.9, m
    assert m["hit@5"] >= 0.9, m


def test_compare_flags_a_planted_regression(seeds_result) -> None:  # type: ignore[no-untyped-def]
    worse = json.loads(json.dumps(seeds_result))
    worse["summary"]["metrics"]["key_fact_recall"] = 0.5
    flags = compare(worse, seeds_result)
    assert flags["key_fact_recall"]["status"] == "regression"
    assert flags["citation_precision"]["status"] == "same"


def test_html_report_is_self_contained(seeds_result) -> None:  # type: ignore[no-untyped-def]
    page = html_report(seeds_result)
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") >= 3
    urls = re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert urls == [] and "<script src" not in page


def test_cli_writes_reports_and_gates(seeded_pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RAG_DATA_DIR", str(seeded_pipeline.settings.data_dir))
    monkeypatch.setenv("RAG_EMBED_CACHE", str(seeded_pipeline.settings.embed_cache))
    runner = CliRunner()
    out = tmp_path / "run"
    r = runner.invoke(app, ["eval", "--gold", str(GOLD), "--limit", "12", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout[r.stdout.index("{") :])["metrics"]["citation_precision"] >= 0.95
    assert {p.name for p in out.iterdir()} == {"results.json", "report.md", "report.html"}
    gate = runner.invoke(app, ["eval", "--gold", str(GOLD), "--limit", "12", "--fail-under", "key_fact_recall=1.01"])
    assert gate.exit_code == 1 and "FAIL: key_fact_recall" in gate.output
    ok = runner.invoke(
        app,
        ["eval", "--gold", str(GOLD), "--limit", "12", "--compare", str(out), "--fail-under", "citation_precision=0.5"],
    )
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["eval", "--gold", str(GOLD), "--fail-under", "nonsense"])
    assert bad.exit_code == 2


def test_gold_eval_on_a_store_without_its_documents_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "empty"))
    r = CliRunner().invoke(app, ["eval", "--gold", str(GOLD), "--limit", "2", "--json"])
    assert r.exit_code == 0, r.output
    assert "gold document(s) are not in the store" in r.output and "rag ingest seeds" in r.output
