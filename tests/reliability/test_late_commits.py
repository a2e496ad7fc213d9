"""A write whose registry commit reaches Chroma long after its change-log entry is still indexed
on every node, and a node that missed a commit anyway is healed by sending the document again.

Reproduces the reported loss: nodes advanced their applied sequence number past the entry (other
writes kept coming) and re-read only `RAG_CHANGE_OVERLAP_S` behind it, so a commit that landed
later was acknowledged "added", returned by GET, and found by search on none of the nodes."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from bench.chroma_delay import DelayingProxy
from tests.reliability.conftest import ServeProcess

pytestmark = [pytest.mark.slow, pytest.mark.chroma_server]

OVERLAP_S = 1.0
DELAY_S = 5.0  # the commit lands this long after its log entry: 5 x RAG_CHANGE_OVERLAP_S


def _env(port: int) -> dict[str, str]:
    return {
        "RAG_CHROMA_HOST": "127.0.0.1",
        "RAG_CHROMA_PORT": str(port),
        "RAG_CHANGE_OVERLAP_S": str(OVERLAP_S),
        "RAG_RESYNC_INTERVAL_S": "0.3",
    }


def _doc(doc_id: str, marker: str) -> dict[str, str]:
    return {
        "doc_id": doc_id,
        "title": f"Ferry notice {marker}",
        "text": f"The harbour office said the {marker} ferry sails at dawn from pier four. Tickets for the {marker} "
        "crossing are sold on board.",
        "source": "Harbour Post",
        "published": "2023-05-02",
    }


def _finds(url: str, marker: str, doc_id: str) -> bool:
    """A passage of that version of the document (the marker is in its text) is found by search."""
    try:
        r = httpx.post(f"{url}/v1/search", json={"query": f"{marker} ferry", "top_k": 5}, timeout=60)
    except httpx.TransportError:  # a node being killed
        return False
    return r.status_code == 200 and any(p["doc_id"] == doc_id and marker in p["text"] for p in r.json()["passages"])


def _listed(url: str, doc_id: str) -> bool:
    page = httpx.get(f"{url}/v1/documents", params={"limit": 1000}, timeout=60).json()
    return doc_id in {d["doc_id"] for d in page["items"]}


def _start_all(nodes: list) -> None:  # type: ignore[type-arg]
    threads = [threading.Thread(target=n.start) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _late_write(
    writer: str,
    others: list[str],
    doc: dict[str, str],
    proxy: DelayingProxy,
    filler: str,
    killed: ServeProcess | None = None,
) -> str:
    """POSTs `doc` through the delaying node while the other nodes keep syncing and other writes
    (through an undelayed node) move every node's applied number past its log entry. `killed`:
    a node SIGKILLed halfway through the delay, after it read the entry (restarted by the caller)."""
    answer: dict[str, httpx.Response] = {}

    def post() -> None:
        answer["r"] = httpx.post(f"{writer}/v1/documents", json=[doc], timeout=120)

    proxy.delay_s = DELAY_S
    thread = threading.Thread(target=post)
    thread.start()
    started = time.monotonic()
    n = 0
    while thread.is_alive():
        if killed is not None and time.monotonic() - started > DELAY_S / 2:
            killed.stop()
            others = [u for u in others if u != killed.url]
            killed = None
        for url in [writer, *others]:
            _finds(url, doc["title"].split()[-1], doc["doc_id"])  # every node reads the log meanwhile
        if time.monotonic() - started > 1.5 * (n + 1):
            n += 1
            r = httpx.post(f"{others[0]}/v1/documents", json=[_doc(f"{filler}-{n}", f"{filler}{n}x")], timeout=120)
            assert r.status_code == 200, r.text
        time.sleep(0.2)
    thread.join()
    proxy.delay_s = 0.0
    assert n >= 2, "the other writes did not overlap the delayed commit"
    r = answer["r"]
    assert r.status_code == 200, r.text
    return str(r.json()["items"][0]["status"])


def _found_everywhere(urls: list[str], marker: str, doc_id: str, within_s: float = 20.0) -> list[str]:
    """The nodes that still do not find the document after `within_s` (many resync intervals)."""
    deadline = time.monotonic() + within_s
    missing = list(urls)
    while missing and time.monotonic() < deadline:
        missing = [u for u in missing if not (_finds(u, marker, doc_id) and _listed(u, doc_id))]
        time.sleep(0.3)
    return missing


def test_a_commit_that_lands_long_after_its_log_entry_is_found_on_every_node(  # type: ignore[no-untyped-def]
    chroma_server, serve_factory, tmp_path: Path
) -> None:
    with DelayingProxy(chroma_server.port) as proxy:
        w = serve_factory(tmp_path / "w", **_env(proxy.port))
        a = serve_factory(tmp_path / "a", **_env(chroma_server.port))
        b = serve_factory(tmp_path / "b", **_env(chroma_server.port))
        _start_all([w, a, b])
        urls = [w.url, a.url, b.url]

        assert _late_write(w.url, [a.url, b.url], _doc("late-1", "quorvex"), proxy, "fill") == "added"
        assert proxy.delayed == 1
        missing = _found_everywhere(urls, "quorvex", "late-1")
        assert not missing, f"acknowledged 'added' but not found on {missing} (writer: {w.url})"

        # An update delayed the same way: the new version everywhere, the old one nowhere, also on
        # a node that was killed while the commit was pending and started after it landed.
        assert _late_write(w.url, [a.url, b.url], _doc("late-1", "zembrak"), proxy, "more", killed=b) == "updated"
        b.start()
        missing = _found_everywhere(urls, "zembrak", "late-1")
        assert not missing, f"the delayed update is not found on {missing}"
        assert not any(_finds(u, "quorvex", "late-1") for u in urls), "a node still serves the replaced version"


def test_sending_a_document_again_heals_a_node_that_missed_its_commit(  # type: ignore[no-untyped-def]
    chroma_server, serve_factory, tmp_path: Path
) -> None:
    a = serve_factory(tmp_path / "a", **_env(chroma_server.port))
    c = serve_factory(tmp_path / "c", **_env(chroma_server.port))
    _start_all([a, c])
    c.stop()
    doc = _doc("missed-1", "plovtar")
    assert httpx.post(f"{a.url}/v1/documents", json=[doc], timeout=120).status_code == 200
    time.sleep(2 * OVERLAP_S)
    # C's index says it applied everything up to now, without the document: the state a node that
    # ran the earlier catch-up was left in after skipping a late commit.
    (state_file,) = (tmp_path / "c" / "lexical").rglob("state.json")
    state = json.loads(state_file.read_text())
    state["applied_seq"] = time.time_ns()
    state_file.write_text(json.dumps(state))
    c.start()
    assert not _finds(c.url, "plovtar", "missed-1"), "the node did not miss the commit: the test proves nothing"

    again = httpx.post(f"{a.url}/v1/documents", json=[doc], timeout=120).json()
    assert again["items"][0]["status"] == "unchanged"
    assert not _found_everywhere([c.url, a.url], "plovtar", "missed-1"), "the re-POST did not heal the node"
