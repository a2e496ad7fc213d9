"""The scale-out path: a real `chroma run` server reached through HttpClient."""

from __future__ import annotations

import time

import httpx
import pytest

from api.app import create_app
from rag.errors import StoreUnavailable
from rag.pipeline import RagPipeline
from tests.conftest import SEEDS, UvicornThread, make_settings

pytestmark = [pytest.mark.slow, pytest.mark.chroma_server]


def server_pipeline(seeded_pipeline, tmp_path, port: int) -> RagPipeline:  # type: ignore[no-untyped-def]
    return RagPipeline(
        make_settings(tmp_path / "node", chroma_host="127.0.0.1", chroma_port=port), embedder=seeded_pipeline.embedder
    )


def test_ingest_and_ask_through_chroma_server(seeded_pipeline, chroma_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = server_pipeline(seeded_pipeline, tmp_path, chroma_server.port)
    assert p.ingest_paths([SEEDS]).count("added") == 5
    resp = p.ask("What did Oman say?")
    assert {"000_c52a582f011e3939", "001_27f4805873241f1d"} <= {c.doc_id for c in resp.citations}
    # A second API node sees the same store (its own BM25 snapshot is rebuilt from Chroma).
    other = server_pipeline(seeded_pipeline, tmp_path / "second", chroma_server.port)
    assert len(other.list_documents()) == 5
    assert not other.ask("What did Oman say?").abstained


def test_store_outage_is_503_and_recovers(seeded_pipeline, chroma_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = server_pipeline(seeded_pipeline, tmp_path, chroma_server.port)
    p.ingest_paths([SEEDS])
    with UvicornThread(create_app(p.settings, p)) as srv:
        ask = {"question": "What did Oman say?"}
        assert httpx.post(f"{srv.url}/v1/ask", json=ask, timeout=60).status_code == 200
        chroma_server.stop()
        r = httpx.post(f"{srv.url}/v1/ask", json=ask, timeout=60)
        assert r.status_code == 503 and r.json()["error"] == "store_unavailable"
        assert httpx.get(f"{srv.url}/readyz", timeout=60).status_code == 503
        assert httpx.get(f"{srv.url}/healthz").status_code == 200
        with pytest.raises(StoreUnavailable):
            p.list_documents()
        chroma_server.start()
        deadline = time.time() + 30
        status = 0
        while time.time() < deadline and status != 200:
            status = httpx.post(f"{srv.url}/v1/ask", json=ask, timeout=60).status_code
            time.sleep(0.5)
        assert status == 200
