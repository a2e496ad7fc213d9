"""`--benchmark DIR`: deterministic subsets, gold docs always indexed, a scratch store built once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.benchmark import prepare, select_docs
from eval.cli import register
from eval.gold import load_gold
from eval.runner import aggregate
from rag.cli import app
from tests.conftest import SEEDS, make_settings

register(app)
pytestmark = pytest.mark.slow

QUESTIONS = [
    {
        "id": "q-oman",
        "question": "What did Oman say?",
        "answers": ["Oman"],
        "answerable": True,
        "gold_doc_ids": ["000_c52a582f011e3939"],
    },
    {
        "id": "q-wang",
        "question": "Who did Wang Yi speak with by phone?",
        "answers": ["Oman"],
        "answerable": True,
        "gold_doc_ids": ["000_c52a582f011e3939"],
    },
    {
        "id": "q-egypt",
        "question": "What did Egypt's assistant foreign minister say?",
        "answers": ["Egypt"],
        "answerable": True,
        "gold_doc_ids": ["003_7b0557956f3372bd"],
    },
]


@pytest.fixture(scope="module")
def bench_dir(seeded_pipeline, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    """The seeds as a benchmark folder in the shared datasets' format."""
    d = tmp_path_factory.mktemp("bench") / "seeds-bench"
    d.mkdir()
    docs = [p.doc for p in seeded_pipeline.ingester.parse_paths([SEEDS]) if p.doc is not None]
    with (d / "corpus.jsonl").open("w", encoding="utf-8") as f:
        for doc in docs:
            f.write(
                json.dumps(
                    {
                        "doc_id": doc.doc_id,
                        "title": doc.title,
                        "text": doc.text,
                        "source": doc.source,
                        "published": doc.published.isoformat() if doc.published else None,
                        "url": None,
                    }
                )
                + "\n"
            )
    (d / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return d


def test_max_docs_keeps_gold_documents_and_is_deterministic(bench_dir: Path) -> None:
    items = [i for i in load_gold(bench_dir / "questions.jsonl") if i.id == "q-egypt"]
    first = [p.input for p in select_docs(bench_dir / "corpus.jsonl", items, 2)]
    assert len(first) == 2 and first[0] == "003_7b0557956f3372bd"
    assert first == [p.input for p in select_docs(bench_dir / "corpus.jsonl", items, 2)]
    assert len(select_docs(bench_dir / "corpus.jsonl", items, None)) == 5


def test_scratch_store_is_built_once_and_reused(bench_dir: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    built: list[int] = []

    class Spy:
        def __init__(self, total: int) -> None:
            built.append(total)

        def __call__(self, done: int, embedded: int) -> None: ...

        def __enter__(self) -> Spy:
            return self

        def __exit__(self, *exc: object) -> None: ...

    pipeline, items = prepare(settings, bench_dir, 2, 3, Spy)  # type: ignore[arg-type]
    assert built == [3] and pipeline.count_documents() == 3 and len(items) == 2
    gold = {d for it in items for d in it.gold_docs()}
    assert gold <= {d.doc_id for d in pipeline.list_documents()}
    again, items_again = prepare(settings, bench_dir, 2, 3, Spy)  # type: ignore[arg-type]
    assert built == [3], "the second run must not ingest again"
    assert again.settings.data_dir == pipeline.settings.data_dir and again.count_documents() == 3
    assert [i.id for i in items_again] == [i.id for i in items]
    other, _ = prepare(settings, bench_dir, 2, 4, Spy)  # type: ignore[arg-type]
    assert built == [3, 4] and other.settings.data_dir != pipeline.settings.data_dir


def test_benchmark_cli_runs_and_scores(bench_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RAG_EMBED_CACHE", str(make_settings(tmp_path).embed_cache))
    r = CliRunner().invoke(app, ["eval", "--benchmark", str(bench_dir), "--json", "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    metrics = json.loads(r.stdout[r.stdout.index("{") :])["metrics"]
    assert metrics["hit@5"] == 1.0 and metrics["answer_containment"] >= 2 / 3
    assert "abstention_recall" not in metrics, "undefined without unanswerable questions"
    gate = CliRunner().invoke(app, ["eval", "--benchmark", str(bench_dir), "--fail-under", "abstention_recall=0.5"])
    assert gate.exit_code == 2 and "not defined" in gate.output
    unknown = CliRunner().invoke(app, ["eval", "--benchmark", str(bench_dir), "--fail-under", "hitt@5=0.5"])
    assert unknown.exit_code == 2 and "unknown metric" in unknown.output


def test_a_split_keeps_the_whole_benchmarks_halves(
    bench_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four question weeks: the first two tune. `--split tuning` runs those two weeks, and every
    row stays a tuning row (the halves had been recomputed over the kept weeks, so the second
    tuning week was reported as validation)."""
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RAG_EMBED_CACHE", str(make_settings(tmp_path).embed_cache))
    weeks = ["2024/01/05", "2024/01/12", "2024/01/19", "2024/01/26"]
    dated = tmp_path / "dated.jsonl"
    dated.write_text(
        "".join(json.dumps({**QUESTIONS[0], "id": f"q-{i}", "question_date": w}) + "\n" for i, w in enumerate(weeks)),
        encoding="utf-8",
    )
    args = ["eval", "--benchmark", str(bench_dir), "--questions", str(dated), "--split", "tuning"]
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    rows = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["questions"]
    assert sorted(row["id"] for row in rows) == ["q-0", "q-1"]
    assert {row["split"] for row in rows} == {"tuning"}


def test_undefined_abstention_ratios_are_left_out() -> None:
    row = {
        "abstained": False,
        "answerable": True,
        "type": "fact",
        "retrieve_ms": 1.0,
        "answer_ms": 1.0,
        "abstention_correct": 1.0,
    }
    m = aggregate([row, {**row, "abstained": True, "abstention_correct": 0.0}])["metrics"]
    assert m["abstention_accuracy"] == 0.5 and m["abstention_precision"] == 0.0
    assert "abstention_recall" not in m
    assert "abstention_precision" not in aggregate([row])["metrics"]
