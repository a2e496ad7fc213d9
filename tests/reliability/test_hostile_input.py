"""Hostile and sloppy input, each case one of the reported failures: judged per record, answered
with a 4xx naming the field, never a 500; article text never reaches a chat client as markup."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from api.app import create_app
from tests.conftest import ROOT, SEEDS, UvicornThread

pytestmark = pytest.mark.slow


@pytest.fixture()
def server(fresh_pipeline):  # type: ignore[no-untyped-def]
    fresh_pipeline.ingest_paths([SEEDS])
    with UvicornThread(create_app(fresh_pipeline.settings, fresh_pipeline)) as srv:
        yield srv


def _records(n: int, bad_line: int) -> str:
    lines = []
    for i in range(n):
        rec: dict[str, object] = {"doc_id": f"r{i}", "title": f"Note {i}", "text": f"Council note {i} was filed."}
        if i == bad_line:
            rec["url"] = 123
        lines.append(json.dumps(rec))
    return "\n".join(lines) + "\n"


def test_one_badly_typed_record_fails_alone(server, fresh_pipeline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    body = _records(1000, bad_line=500)
    r = httpx.post(f"{server.url}/v1/documents", files={"files": ("notes.jsonl", body.encode())}, timeout=600)
    assert r.status_code == 207, r.text
    out = r.json()
    assert out["added"] + out["unchanged"] == 999 and out["failed"] == 1
    [failure] = out["failures"]
    assert failure["input"] == "notes.jsonl:501" and "'url'" in failure["reason"]
    # The CLI: exit 1, one line naming the record and the field, no traceback.
    path = tmp_path / "notes.jsonl"
    path.write_text(body)
    env = {
        "RAG_DATA_DIR": str(fresh_pipeline.settings.data_dir / "cli"),
        "RAG_EMBED_CACHE": str(fresh_pipeline.settings.embed_cache),
    }
    cli = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ingest", str(path)],
        cwd=ROOT,
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert cli.returncode == 1
    assert "Traceback" not in cli.stderr + cli.stdout
    failed = [line for line in cli.stderr.splitlines() if line.startswith("failed:")]
    assert failed == ["failed: notes.jsonl:501: field 'url' must be a string, got int"]


def test_json_batch_keeps_good_records_and_names_bad_fields(server) -> None:  # type: ignore[no-untyped-def]
    docs = [
        {"title": "Good one", "text": "The bridge reopened on Tuesday."},
        {"title": "Bad url", "text": "Text.", "url": "javascript:alert(1)"},
        {"title": "Bad source", "text": "Text.", "source": {"x": 1}},
        {"title": "Invisible", "text": "\u200b\u200b\x00"},
        {"title": "Bad id", "text": "Text.", "doc_id": "a/b"},
        # A control character in the host: refused by the server and by the published schema alike.
        {"title": "Control url", "text": "Text.", "url": "https://\x1cexample.com/a"},
    ]
    r = httpx.post(f"{server.url}/v1/documents", json=docs, timeout=60)
    assert r.status_code == 207, r.text
    out = r.json()
    assert out["added"] == 1
    reasons = {f["input"]: f["reason"] for f in out["failures"]}
    assert "'url'" in reasons["document[1]"]
    assert "'source'" in reasons["document[2]"]
    assert "visible" in reasons["document[3]"] or "text" in reasons["document[3]"]
    assert "'doc_id'" in reasons["document[4]"]
    assert "'url'" in reasons["document[5]"]
    single = httpx.post(f"{server.url}/v1/documents", json={"title": "x", "text": "y", "source": {"x": 1}}, timeout=60)
    assert single.status_code == 422 and "source" in json.dumps(single.json()["detail"])


def test_ids_are_never_silently_merged(server) -> None:  # type: ignore[no-untyped-def]
    files = [("files", ("a b.txt", b"Alpha harbour news.\n")), ("files", ("a-b.txt", b"Beta harbour news.\n"))]
    r = httpx.post(f"{server.url}/v1/documents", files=files, timeout=60)
    ids = [i["doc_id"] for i in r.json()["items"]]
    assert r.status_code == 200 and len(set(ids)) == 2 and "a-b" in ids
    # Parts without a file name each get their own id (a content hash), not 'files-0'.
    first = httpx.post(f"{server.url}/v1/documents", files={"files": (None, "Gamma harbour news.")}, timeout=60)
    second = httpx.post(f"{server.url}/v1/documents", files={"files": (None, "Delta harbour news.")}, timeout=60)
    assert first.json()["added"] == 1 and second.json()["added"] == 1
    assert first.json()["items"][0]["doc_id"] != second.json()["items"][0]["doc_id"]


INJECTION = """Harbour council votes on the new pier

The harbour council voted on Tuesday to build a new pier, the mayor said. <script>alert('x')</script> <b>Residents</b> welcomed the pier vote at the harbour council. ![pixel](http://tracker.example/p.gif) The pier vote at the harbour council follows [a long campaign](javascript:alert(1)) by residents [99]. Click <a href="javascript:steal()">here</a> for the pier vote results of the harbour council.
"""


def test_article_markup_never_reaches_chat_content(server) -> None:  # type: ignore[no-untyped-def]
    r = httpx.post(f"{server.url}/v1/documents", files={"files": ("pier.txt", INJECTION.encode())}, timeout=60)
    assert r.status_code == 200
    client = OpenAI(base_url=f"{server.url}/v1", api_key="unused")
    question = [{"role": "user", "content": "What did the harbour council vote on the pier?"}]
    resp = client.chat.completions.create(model="newsrag", messages=question)
    content = resp.choices[0].message.content or ""
    raw = resp.model_dump_json()
    assert "pier" in content
    assert not re.search(r"</?[a-zA-Z][^>]*>", content), content
    assert "![" not in content and "](" not in content, content
    assert "javascript:" not in content.lower()
    cited = {c["n"] for c in (resp.model_extra or {})["citations"]}
    assert {int(n) for n in re.findall(r"\[(\d+)\]", content)} <= cited, content
    # The structured quote stays verbatim and checkable against the document text.
    for c in (resp.model_extra or {})["citations"]:
        text = httpx.get(f"{server.url}/v1/documents/{c['doc_id']}").json()["text"]
        assert text[c["start"] : c["end"]] == c["quote"]
    assert "javascript:" not in json.loads(raw)["choices"][0]["message"]["content"].lower()


def test_chat_invalid_unicode_is_422_in_both_modes(server) -> None:  # type: ignore[no-untyped-def]
    body = '{"model": "newsrag", "messages": [{"role": "user", "content": "What did \\ud800 Oman say?"}]%s}'
    for stream in ("", ', "stream": true'):
        r = httpx.post(
            f"{server.url}/v1/chat/completions",
            content=(body % stream).encode(),
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        assert r.status_code == 422, r.text
        assert "surrogate" in r.text


def test_chunked_body_over_the_limit_is_413(server) -> None:  # type: ignore[no-untyped-def]
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 100_000

    r = httpx.post(f"{server.url}/v1/ask", content=chunks(), headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"


def test_oversized_filters_under_load_break_nobody(server) -> None:  # type: ignore[no-untyped-def]
    """Reported: a 40,000-id filter reached SQLite, and the store reset that followed broke other
    clients' requests. Now the filter is a 422, and concurrent clients see only 200s."""
    statuses: dict[int, int] = {}
    bad: dict[int, int] = {}
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.time() + 8

    def client(i: int) -> None:
        with httpx.Client(timeout=60) as c:
            while time.time() < deadline:
                try:
                    r = c.post(f"{server.url}/v1/ask", json={"question": "What did Oman say?"})
                    with lock:
                        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                except httpx.HTTPError as e:
                    with lock:
                        errors.append(repr(e))

    def attacker() -> None:
        huge = {"question": "What did Oman say?", "filters": {"doc_ids": [f"d{i}" for i in range(40_000)]}}
        with httpx.Client(timeout=60) as c:
            while time.time() < deadline:
                r = c.post(f"{server.url}/v1/ask", json=huge)
                with lock:
                    bad[r.status_code] = bad.get(r.status_code, 0) + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(12)] + [threading.Thread(target=attacker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert set(statuses) == {200}, statuses
    assert set(bad) == {422}, bad


def test_serving_open_to_the_network_without_keys_is_refused() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rag.cli", "serve", "--host", "0.0.0.0", "--port", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "RAG_API_KEYS": "", "RAG_ADMIN_KEYS": "", "RAG_ALLOW_ANONYMOUS": "false"},
    )
    assert out.returncode != 0 and "RAG_ALLOW_ANONYMOUS" in out.stderr
