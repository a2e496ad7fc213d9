"""A full disk must not wedge the server: writes get 503 while it lasts, /healthz and reads keep
answering, writes work again soon after space is freed, and SIGTERM still stops the process.

Reproduces the reported wedge: after the first 'disk is full' the store wrapper reconnected,
`get_or_create_collection` blocked inside Chroma and the process never recovered."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import SEEDS

pytestmark = pytest.mark.slow


def _fill(path: Path) -> None:
    with path.open("wb") as f:
        block = b"\0" * (1 << 20)
        try:
            while True:
                f.write(block)
                f.flush()
        except OSError:
            pass


def _doc(i: int) -> dict[str, str]:
    return {"title": f"Storm report {i}", "text": f"Storm number {i} closed the northern harbour road on Friday."}


def test_disk_full_gives_503_and_recovers_without_restart(small_disk: Path, serve_factory) -> None:  # type: ignore[no-untyped-def]
    node = serve_factory(small_disk / "data", RAG_MIN_FREE_DISK_MB="8")
    assert node.cli("ingest", str(SEEDS)).returncode == 0
    node.start()
    slowest_health = 0.0
    stop = threading.Event()

    def watch_health() -> None:
        nonlocal slowest_health
        while not stop.is_set():
            t = time.perf_counter()
            r = httpx.get(f"{node.url}/healthz", timeout=5)
            assert r.status_code == 200
            slowest_health = max(slowest_health, time.perf_counter() - t)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch_health, daemon=True)
    watcher.start()
    filler = small_disk / "filler"
    _fill(filler)
    statuses = []
    for i in range(3):
        r = httpx.post(f"{node.url}/v1/documents", json=_doc(i), timeout=60)
        statuses.append(r.status_code)
        assert r.status_code == 503, r.text
        assert r.json()["error"] == "store_unavailable"
    health = httpx.get(f"{node.url}/healthz", timeout=5).json()
    assert health["status"] == "degraded" and "free on its disk" in health["store"]
    ask = httpx.post(f"{node.url}/v1/ask", json={"question": "What did Oman say?"}, timeout=60)
    assert ask.status_code == 200 and ask.json()["citations"]
    filler.unlink()
    freed = time.time()
    ok_after = None
    while time.time() - freed < 30:
        r = httpx.post(f"{node.url}/v1/documents", json=_doc(99), timeout=60)
        if r.status_code == 200:
            ok_after = time.time() - freed
            break
        time.sleep(0.25)
    stop.set()
    watcher.join(timeout=10)
    assert ok_after is not None and ok_after <= 5, f"writes did not recover ({ok_after})"
    found = httpx.post(f"{node.url}/v1/search", json={"query": "storm number 99 harbour road"}, timeout=60)
    assert found.json()["passages"][0]["title"] == "Storm report 99"
    # A /healthz stuck behind busy workers runs into its 5 s client timeout; a loaded machine may
    # slow a free one to a second or so, which is not what this checks.
    assert slowest_health < 4.0, f"/healthz took {slowest_health:.2f}s"
    assert node.terminate(timeout=10) <= 10


def test_a_node_started_on_a_full_disk_answers_503_until_space_returns(small_disk: Path, serve_factory) -> None:  # type: ignore[no-untyped-def]
    """Past the guard: another process filled the disk before this node (re)started, and its index
    must be rebuilt too (a lost slot, or one of an older format after an upgrade). Chroma cannot
    even open (its SQLite migration writes), and it used to cache the half-built store, so every
    other request was a 500, the first one after space was freed too."""
    node = serve_factory(small_disk / "data", RAG_MIN_FREE_DISK_MB="8")
    node.log = small_disk.parent / "serve.log"  # not on the disk that fills up
    assert node.cli("ingest", str(SEEDS)).returncode == 0
    shutil.rmtree(small_disk / "data" / "lexical")
    filler = small_disk / "filler"
    _fill(filler)
    node.start(probe="/healthz")
    for _ in range(2):
        ask = httpx.post(f"{node.url}/v1/ask", json={"question": "What did Oman say?"}, timeout=60)
        assert ask.status_code == 503, ask.text
        assert ask.json()["error"] == "store_unavailable", "its store could not even be opened"
    assert httpx.get(f"{node.url}/readyz", timeout=30).status_code == 503
    assert httpx.get(f"{node.url}/healthz", timeout=5).json()["status"] == "degraded"
    filler.unlink()
    ask = httpx.post(f"{node.url}/v1/ask", json={"question": "What did Oman say?"}, timeout=60)
    assert ask.status_code == 200 and ask.json()["citations"], ask.text
    assert httpx.get(f"{node.url}/readyz", timeout=30).status_code == 200
    assert node.terminate(timeout=10) <= 10
