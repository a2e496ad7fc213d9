"""`/healthz` is the liveness probe: it answers while every worker thread waits on a hung store,
and, open to anyone, it tells nothing about which collections exist.

Reproduces the reported faults: with `chroma run` stopped (SIGSTOP), `/healthz` itself timed out
behind the requests waiting for the store (its collection lookup ran in a worker thread); and
`/healthz?collection=X` without a key answered 404 for a collection that does not exist."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from rag.pipeline import RagPipeline
from tests.conftest import UvicornThread

WAITING = 64  # more requests than the worker threads (anyio's 40) can hold


@pytest.mark.slow
@pytest.mark.chroma_server
def test_healthz_answers_while_every_worker_waits_on_a_hung_store(  # type: ignore[no-untyped-def]
    chroma_server, serve_factory, tmp_path: Path
) -> None:
    node = serve_factory(
        tmp_path / "node", RAG_CHROMA_HOST="127.0.0.1", RAG_CHROMA_PORT=str(chroma_server.port)
    ).start()
    assert chroma_server.proc is not None
    os.kill(chroma_server.proc.pid, signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(WAITING) as pool:
            waiting = [
                pool.submit(httpx.post, f"{node.url}/v1/search", json={"query": f"harbour {i}"}, timeout=120)
                for i in range(WAITING)
            ]
            time.sleep(1)  # every worker thread is now blocked on the stopped store
            assert sum(f.done() for f in waiting) < WAITING - 40, "the store did not hold the workers"
            health = httpx.get(f"{node.url}/healthz", timeout=5)
            assert health.status_code == 200 and health.json()["status"] in ("ok", "degraded")
            os.kill(chroma_server.proc.pid, signal.SIGCONT)
            for f in waiting:
                f.result()
    finally:
        os.kill(chroma_server.proc.pid, signal.SIGCONT)


def test_healthz_without_a_key_does_not_tell_which_collections_exist(fresh_pipeline: RagPipeline) -> None:
    settings = fresh_pipeline.settings.model_copy(update={"api_keys": "reader-key"})
    with UvicornThread(create_app(settings, fresh_pipeline)) as srv:
        key = {"Authorization": "Bearer reader-key"}
        created = httpx.post(f"{srv.url}/v1/collections", json={"name": "business"}, headers=key, timeout=60)
        assert created.status_code in (200, 201), created.text
        answers = {
            name: httpx.get(f"{srv.url}/healthz", params={"collection": name}, timeout=30)
            for name in ("business", "no-such-archive", settings.collection)
        }
        plain = httpx.get(f"{srv.url}/healthz", timeout=30)
        for name, r in answers.items():
            assert (r.status_code, r.json()) == (plain.status_code, plain.json()), name
        # A caller with a key may still ask whether a collection is ready.
        assert httpx.get(f"{srv.url}/readyz", params={"collection": "no-such-archive"}, headers=key).status_code == 404
        assert httpx.get(f"{srv.url}/readyz", params={"collection": "business"}, headers=key).status_code == 200
