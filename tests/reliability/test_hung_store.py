"""A Chroma server that stops answering (SIGSTOP: the socket accepts, nothing replies) gives a
503 with Retry-After within RAG_STORE_TIMEOUT_S, and the node recovers when it answers again.

Reproduces the report: chromadb's HTTP client waits forever, so requests blocked instead."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.chroma_server]

TIMEOUT_S = 2.0


def test_a_stopped_chroma_server_gives_503_with_retry_after_and_the_node_recovers(  # type: ignore[no-untyped-def]
    chroma_server, serve_factory, tmp_path: Path
) -> None:
    env = {
        "RAG_CHROMA_HOST": "127.0.0.1",
        "RAG_CHROMA_PORT": str(chroma_server.port),
        "RAG_STORE_TIMEOUT_S": str(TIMEOUT_S),
    }
    node = serve_factory(tmp_path / "a", **env).start()
    doc = {
        "doc_id": "tide-1",
        "title": "Tide tables",
        "text": "The harbour office published the spring tide tables on Monday.",
    }
    assert httpx.post(f"{node.url}/v1/documents", json=[doc], timeout=120).status_code == 200
    requests = [
        ("POST", "/v1/search", {"query": "spring tide tables"}),
        ("POST", "/v1/ask", {"question": "What did the harbour office publish?"}),
        ("GET", "/v1/documents/tide-1", None),
        ("POST", "/v1/documents", [{"title": "Pier", "text": "The pier reopened after the storm."}]),
    ]
    assert chroma_server.proc is not None
    os.kill(chroma_server.proc.pid, signal.SIGSTOP)
    try:
        # Ten times the store timeout: a request that waits on the store forever fails here.
        with httpx.Client(base_url=node.url, timeout=10 * TIMEOUT_S) as client:
            for method, path, body in requests:
                r = client.request(method, path, json=body)
                assert r.status_code == 503, f"{method} {path}: {r.status_code} {r.text[:200]}"
                assert r.headers.get("Retry-After"), f"{method} {path}: 503 without Retry-After"
                assert r.json()["error"] == "store_unavailable"
    finally:
        os.kill(chroma_server.proc.pid, signal.SIGCONT)
    with httpx.Client(base_url=node.url, timeout=60) as client:
        for method, path, body in requests:
            r = client.request(method, path, json=body)
            assert r.status_code == 200, (
                f"{method} {path} after the store answered again: {r.status_code} {r.text[:200]}"
            )
