"""On the seeds: flips against a run with a setting changed, the JUnit and Ragas exports, and a
drafted gold set from the archive (draft, eval, review with scripted input)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.cli import register
from eval.outcomes import is_miss
from rag.cli import app
from tests.conftest import ROOT

register(app)
GOLD = ROOT / "eval" / "gold" / "seeds.jsonl"
pytestmark = pytest.mark.slow


@pytest.fixture()
def seeds_env(seeded_pipeline, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RAG_DATA_DIR", str(seeded_pipeline.settings.data_dir))
    monkeypatch.setenv("RAG_EMBED_CACHE", str(seeded_pipeline.settings.embed_cache))


def test_compare_lists_the_questions_that_flipped(seeds_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    base = tmp_path / "base"
    assert runner.invoke(app, ["eval", "--gold", str(GOLD), "--out", str(base)]).exit_code == 0
    # One rule switched off (the one that refuses a speaker nobody quotes): some right refusals
    # become answers.
    monkeypatch.setenv("RAG_RULES_OFF", "speaker_quoted")
    worse = tmp_path / "worse"
    r = runner.invoke(app, ["eval", "--gold", str(GOLD), "--out", str(worse), "--compare", str(base)])
    assert r.exit_code == 0, r.output
    result = json.loads((worse / "results.json").read_text())
    before = {q["id"]: q["outcome"] for q in json.loads((base / "results.json").read_text())["questions"]}
    broke = result["flips"]["broke"]
    assert broke, "answering what it should refuse must break some right refusals"
    for f in broke:
        assert not is_miss(before[f["id"]]) and is_miss(f["after"]) and before[f["id"]] == f["before"]
    expected = {q["id"] for q in result["questions"] if is_miss(q["outcome"]) and not is_miss(before[q["id"]])}
    assert {f["id"] for f in broke} == expected
    md = (worse / "report.md").read_text()
    assert md.index("Flips against the compared run") < md.index("## Headline")
    assert broke[0]["id"] in md.split("## Headline")[0]
    page = (worse / "report.html").read_text()
    assert page.index("<h2>Flips") < page.index("<h2>Headline")


def test_every_miss_has_a_class_and_the_counts_add_up(seeds_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    r = CliRunner().invoke(app, ["eval", "--gold", str(GOLD), "--out", str(out)])
    assert r.exit_code == 0, r.output
    result = json.loads((out / "results.json").read_text())
    qs = result["questions"]
    misses = [q for q in qs if is_miss(q["outcome"])]
    counts = result["summary"]["outcomes"]
    assert sum(counts.values()) == len(qs)
    assert sum(n for c, n in counts.items() if is_miss(c)) == len(misses)
    md = (out / "report.md").read_text()
    assert f"## Outcomes ({len(misses)} misses of {len(qs)})" in md
    for q in misses:
        assert f"**{q['outcome']}** `{q['id']}`" in md
        if q["abstained"]:
            assert q["outcome_detail"], "a refusal keeps its reason"
            assert q["refusal_rule"] and q["outcome_detail"].startswith(q["refusal_rule"] + ": "), "and its rule"


def test_junit_and_ragas_exports(seeds_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    junit, ragas, out = tmp_path / "junit.xml", tmp_path / "ragas.jsonl", tmp_path / "run"
    r = CliRunner().invoke(
        app,
        ["eval", "--gold", str(GOLD), "--out", str(out), "--junit", str(junit), "--export", "ragas", str(ragas)],
    )
    assert r.exit_code == 0, r.output
    result = json.loads((out / "results.json").read_text())
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(cases) == int(suite.get("tests", "0")) == len(result["questions"])
    assert len(failed) == int(suite.get("failures", "-1")) == sum(is_miss(q["outcome"]) for q in result["questions"])
    assert all(c.get("classname") and c.get("name") and float(c.get("time", "x")) >= 0 for c in cases)
    # Ragas's EvaluationDataset.from_jsonl reads SingleTurnSample fields, one sample per line.
    samples = [json.loads(line) for line in ragas.read_text().splitlines()]
    assert len(samples) == len(result["questions"])
    for s, q in zip(samples, result["questions"], strict=True):
        assert set(s) == {"user_input", "response", "retrieved_contexts", "reference"}
        assert s["user_input"] == q["question"] and s["response"] == q["answer"]
        assert isinstance(s["retrieved_contexts"], list) and all(isinstance(c, str) for c in s["retrieved_contexts"])
        assert isinstance(s["reference"], str)
    answered = [s for s, q in zip(samples, result["questions"], strict=True) if not q["abstained"]]
    assert all(s["retrieved_contexts"] and s["reference"] for s in answered)
    bad = CliRunner().invoke(app, ["eval", "--gold", str(GOLD), "--export", "csv", str(ragas)])
    assert bad.exit_code == 2 and "ragas" in bad.output


def test_gold_draft_on_the_seeds_is_reviewable_and_answered(seeds_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from eval.gold import load_gold

    draft = tmp_path / "draft.jsonl"
    r = CliRunner().invoke(app, ["gold", "draft", "--n", "50", "--out", str(draft)])
    assert r.exit_code == 0, r.output
    items = load_gold(draft)  # the draft is a gold file as it stands
    raw = [json.loads(line) for line in draft.read_text().splitlines()]
    assert len(items) >= 15 and len({i.question for i in items}) == len(items)
    assert {"speaker", "outlets", "unanswerable"} <= {i.type for i in items}
    answerable = [i for i in items if i.answerable]
    assert all(i.gold_doc_ids and (i.key_facts or i.answers) and i.as_of for i in answerable)
    assert all(r["draft"]["kind"] for r in raw)
    out = tmp_path / "run"
    r = CliRunner().invoke(app, ["eval", "--gold", str(draft), "--out", str(out)])
    assert r.exit_code == 0, r.output
    qs = json.loads((out / "results.json").read_text())["questions"]
    unanswerable = [q for q in qs if not q["answerable"]]
    assert unanswerable and all(q["outcome"] == "right_refusal" for q in unanswerable), "refused for what it lacks"
    speakers = [q for q in qs if q["type"] == "speaker"]
    assert speakers and not any(q["abstained"] for q in speakers), "who said what, drafted from attributions"
    # The deterministic eval answers the answerable ones: a speaker's own words, every outlet named.
    missed = [q["question"] for q in qs if q["answerable"] and q["outcome"] != "right"]
    assert not missed, missed


def test_gold_review_keeps_edits_and_drops(tmp_path: Path) -> None:
    draft = tmp_path / "draft.jsonl"
    items = [
        {"id": f"d{i}", "question": f"What did Oman say {i}?", "key_facts": [["dialogue"]], "gold_doc_ids": ["x"]}
        for i in range(4)
    ]
    draft.write_text("".join(json.dumps(i) + "\n" for i in items))
    # keep d0; edit d1 (new question, answers, keep key facts, unanswerable); drop d2; quit at d3
    script = "k\ne\nWhat did Oman's minister say?\nOman | the Sultanate\n\nn\nd\nq\n"
    r = CliRunner().invoke(app, ["gold", "review", str(draft)], input=script)
    assert r.exit_code == 0, r.output
    assert "kept 1, edited 1, dropped 1, left unreviewed 1" in r.output
    reviewed = [json.loads(line) for line in draft.with_suffix(".reviewed.jsonl").read_text().splitlines()]
    assert [q["id"] for q in reviewed] == ["d0", "d1"]
    assert reviewed[0]["reviewed"] == "kept" and reviewed[0]["question"] == "What did Oman say 0?"
    assert reviewed[1] == {
        **items[1],
        "question": "What did Oman's minister say?",
        "answers": ["Oman", "the Sultanate"],
        "answerable": False,
        "reviewed": "edited",
    }
