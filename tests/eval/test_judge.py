"""The optional LLM judge against the OpenAI wire-protocol stub: its verdicts, its cache, and its
errors and timeouts (the run finishes; those questions are unjudged)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from eval.cli import register
from rag.cli import app
from tests.conftest import ROOT, UvicornThread
from tests.fakes.openai_stub import create_stub

register(app)
GOLD = ROOT / "eval" / "gold" / "seeds.jsonl"
pytestmark = pytest.mark.slow
FAILS = "<question>What did Oman say?</question>"
SLOW = "<question>What did Wang Yi say about an international peace conference?</question>"


@pytest.fixture()
def judge_stub() -> Iterator[tuple[UvicornThread, list[dict[str, Any]]]]:
    stub, seen = create_stub("judge", fail_when=FAILS, slow_when=SLOW, delay=3.0)
    with UvicornThread(stub) as server:
        yield server, seen


def test_judge_scores_apart_caches_and_survives_errors_and_timeouts(
    judge_stub, seeded_pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    server, seen = judge_stub
    monkeypatch.setenv("RAG_DATA_DIR", str(seeded_pipeline.settings.data_dir))
    monkeypatch.setenv("RAG_EMBED_CACHE", str(seeded_pipeline.settings.embed_cache))
    cache = tmp_path / "judge"
    args = ["eval", "--gold", str(GOLD), "--judge-base-url", f"{server.url}/v1", "--judge-model", "judge-1"]
    args += ["--judge-timeout", "0.5", "--judge-cache", str(cache / "verdicts.sqlite")]
    out = tmp_path / "run"
    r = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    result = json.loads((out / "results.json").read_text())
    judged = result["summary"]["judged"]
    rows = {q["id"]: q for q in result["questions"]}
    assert {"s01", "s02"} <= {i for i, q in rows.items() if "unjudged" in q.get("judge", {})}
    assert judged["unjudged"] == sum(1 for q in rows.values() if "unjudged" in q.get("judge", {})) == 2
    assert "500" in rows["s01"]["judge"]["unjudged"] or "InternalServerError" in rows["s01"]["judge"]["unjudged"]
    assert "Timeout" in rows["s02"]["judge"]["unjudged"]
    answered = [q for q in rows.values() if q["answerable"] and not q["abstained"]]
    assert judged["judged"] == len(answered) - 2 > 20
    assert 0.5 <= judged["metrics"]["judge_correctness"] <= 1.0
    assert judged["metrics"]["judge_citation_support"] > 0.5
    assert not any(k.startswith("judge") for k in result["summary"]["metrics"]), "shown apart"
    assert all(b["model"] == "judge-1" and b["temperature"] == 0 for b in seen)
    assert "## LLM judge" in (out / "report.md").read_text() and "<h2>LLM judge" in (out / "report.html").read_text()
    # Cached by (prompt, model): a second run asks again only what was not judged.
    calls = len(seen)
    again = CliRunner().invoke(app, [*args, "--json"])
    assert again.exit_code == 0, again.output
    assert len(seen) - calls == 2
    assert json.loads(again.stdout[again.stdout.index("{") :])["judged"]["calls"] == 2
    other = CliRunner().invoke(app, [*args[:-4], "--judge-model", "judge-2", *args[-4:], "--json"])
    assert other.exit_code == 0 and len(seen) - calls > 20, "another model is another cache key"
