"""`rag eval --server`: a real uvicorn serving the seeds, scored through /v1/ask and through
/v1/chat/completions, with keys, and with a benchmark corpus loaded into its own collection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from api.app import create_app
from eval.cli import register
from eval.gold import load_gold
from eval.runner import HEADLINE, run
from rag.cli import app
from tests.conftest import ROOT, SEEDS, UvicornThread

register(app)
GOLD = ROOT / "eval" / "gold" / "seeds.jsonl"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def keyed_server(seeded_pipeline) -> Iterator[UvicornThread]:  # type: ignore[no-untyped-def]
    settings = seeded_pipeline.settings.model_copy(update={"api_keys": "reader-key", "admin_keys": "admin-key"})
    with UvicornThread(create_app(settings, seeded_pipeline)) as server:
        yield server


@pytest.fixture(scope="module")
def in_process(seeded_pipeline) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return run(seeded_pipeline, load_gold(GOLD))["summary"]


def _eval(args: list[str], env: dict[str, str]) -> tuple[int, str, dict[str, Any] | None]:
    r = CliRunner().invoke(app, ["eval", *args, "--json"], env=env)
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    out = r.stdout
    return r.exit_code, r.output, json.loads(out[out.index("{") :]) if r.exit_code == 0 else None


@pytest.fixture()
def env(seeded_pipeline, tmp_path: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The eval process's own store is elsewhere: what it scores comes from the server."""
    return {"RAG_DATA_DIR": str(tmp_path / "client"), "RAG_EMBED_CACHE": str(seeded_pipeline.settings.embed_cache)}


@pytest.mark.parametrize("chat", [None, "newsrag-extractive"])
def test_server_run_matches_the_in_process_headline(keyed_server, in_process, env, chat: str | None) -> None:  # type: ignore[no-untyped-def]
    args = ["--server", keyed_server.url, "--api-key", "reader-key", "--gold", str(GOLD)]
    code, output, body = _eval(args + (["--chat", chat] if chat else []), env)
    assert code == 0, output
    assert body is not None
    compared = [k for k in HEADLINE if k in in_process["metrics"]]
    assert set(compared) <= set(body["metrics"]), "the same metrics are defined over the server"
    for k in compared:
        lo, hi = in_process["ci95"][k]
        assert lo - 1e-9 <= body["metrics"][k] <= hi + 1e-9, (k, body["metrics"][k], (lo, hi))
    assert sum(body["outcomes"].values()) == body["n"] == 50


def test_a_wrong_key_fails_clearly(keyed_server, env) -> None:  # type: ignore[no-untyped-def]
    for extra in ([], ["--chat", "newsrag-extractive"]):
        code, output, _ = _eval(["--server", keyed_server.url, "--api-key", "wrong", "--gold", str(GOLD), *extra], env)
        assert code == 2 and "refused the API key" in output and "Traceback" not in output
    code, output, _ = _eval(["--server", "http://127.0.0.1:9", "--gold", str(GOLD)], env)
    assert code == 2 and "cannot reach" in output


@pytest.fixture()
def empty_server(fresh_pipeline) -> Iterator[UvicornThread]:  # type: ignore[no-untyped-def]
    with UvicornThread(create_app(fresh_pipeline.settings, fresh_pipeline)) as server:
        yield server


def test_load_puts_the_corpus_in_its_own_collection_and_removes_it(
    empty_server, seeded_pipeline, env, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    bench = tmp_path / "seeds-bench"
    bench.mkdir()
    docs = [p.doc for p in seeded_pipeline.ingester.parse_paths([SEEDS]) if p.doc is not None]
    with (bench / "corpus.jsonl").open("w", encoding="utf-8") as f:
        for d in docs:
            record = {"doc_id": d.doc_id, "title": d.title, "text": d.text, "source": d.source}
            f.write(json.dumps({**record, "published": d.published.isoformat() if d.published else None}) + "\n")
    questions = [
        {"id": "oman", "question": "What did Oman say?", "answers": ["dialogue"], "gold_doc_ids": [docs[0].doc_id]},
        {"id": "none", "question": "What did Norway say about whaling?", "answerable": False},
    ]
    (bench / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    for chat in (None, "newsrag-extractive"):
        args = ["--server", empty_server.url, "--benchmark", str(bench), "--load"] + (["--chat", chat] if chat else [])
        code, output, body = _eval(args, env)
        assert code == 0, output
        assert body is not None
        assert body["metrics"]["hit@5"] == 1.0 and body["metrics"]["abstention_accuracy"] == 1.0
        assert body["metrics"]["answer_doc_hit@5"] == 1.0
        names = httpx.get(f"{empty_server.url}/v1/collections").json()["collections"]
        assert not [n for n in names if n.startswith("eval-")], "the loaded collection is removed afterwards"
        assert httpx.get(f"{empty_server.url}/v1/documents").json()["total"] == 0, "the default collection untouched"
