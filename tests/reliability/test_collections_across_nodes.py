"""A collection deleted, or deleted and created again, through one node: every other node answers
404 for it at once, or serves the new archive at once.

Reproduces the report: the other nodes kept Chroma handles to the deleted collections and never
dropped them on NotFoundError (500 on every route of the collection for over a minute, until a
restart), and a plain delete was a 500, not a 404, for up to RAG_RESYNC_INTERVAL_S."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.chroma_server]

ADMIN = {"Authorization": "Bearer boss"}


def _doc(doc_id: str, marker: str) -> dict[str, str]:
    return {
        "doc_id": doc_id,
        "title": f"Council notice {marker}",
        "text": f"The council said the {marker} bridge reopens on Friday after repairs to its deck.",
        "source": "Town Crier",
        "published": "2023-04-11",
    }


def _search(url: str, marker: str) -> httpx.Response:
    body = {"query": f"{marker} bridge", "top_k": 5}
    return httpx.post(f"{url}/v1/search", params={"collection": "x"}, json=body, headers=ADMIN, timeout=60)


def _has(response: httpx.Response, doc_id: str, marker: str) -> bool:
    return any(p["doc_id"] == doc_id and marker in p["text"] for p in response.json()["passages"])


def test_a_collection_deleted_and_created_again_through_one_node_works_at_once_on_another(  # type: ignore[no-untyped-def]
    chroma_server, serve_factory, tmp_path: Path
) -> None:
    env = {"RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(chroma_server.port), "RAG_ADMIN_KEYS": "boss"}
    a = serve_factory(tmp_path / "a", **env)
    b = serve_factory(tmp_path / "b", **env)
    threads = [threading.Thread(target=n.start) for n in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert httpx.post(f"{a.url}/v1/collections", json={"name": "x"}, headers=ADMIN).status_code == 201
    r = httpx.post(
        f"{a.url}/v1/documents", params={"collection": "x"}, json=[_doc("old-1", "varnok")], headers=ADMIN, timeout=120
    )
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 20
    while not _has(_search(b.url, "varnok"), "old-1", "varnok"):  # B has the archive open
        assert time.monotonic() < deadline, "node B never found node A's write"
        time.sleep(0.2)

    assert httpx.delete(f"{a.url}/v1/collections/x", headers=ADMIN).status_code == 200
    for route in (
        lambda: httpx.get(f"{b.url}/v1/documents", params={"collection": "x"}, headers=ADMIN, timeout=60),
        lambda: _search(b.url, "varnok"),
        lambda: httpx.get(f"{b.url}/v1/documents/old-1", params={"collection": "x"}, headers=ADMIN, timeout=60),
    ):
        gone = route()
        assert gone.status_code == 404, f"a deleted collection on another node: {gone.status_code} {gone.text[:200]}"
        assert gone.json()["error"] == "collection_not_found"

    assert httpx.post(f"{a.url}/v1/collections", json={"name": "x"}, headers=ADMIN).status_code == 201
    first = _search(b.url, "varnok")
    assert first.status_code == 200, (
        f"the re-created collection on another node: {first.status_code} {first.text[:200]}"
    )
    assert not _has(first, "old-1", "varnok"), "the new archive serves a document of the deleted one"
    r = httpx.post(
        f"{a.url}/v1/documents", params={"collection": "x"}, json=[_doc("new-1", "trelmid")], headers=ADMIN, timeout=120
    )
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 20
    while not _has(found := _search(b.url, "trelmid"), "new-1", "trelmid"):
        assert found.status_code == 200, found.text[:200]
        assert time.monotonic() < deadline, "node B never found a write to the re-created collection"
        time.sleep(0.2)
    listed = httpx.get(f"{b.url}/v1/documents", params={"collection": "x"}, headers=ADMIN, timeout=60).json()
    assert [d["doc_id"] for d in listed["items"]] == ["new-1"] and listed["total"] == 1
    # Node B may write to it too: its handles are the new collection's.
    r = httpx.post(
        f"{b.url}/v1/documents", params={"collection": "x"}, json=[_doc("new-2", "quillon")], headers=ADMIN, timeout=120
    )
    assert r.status_code == 200, r.text
    assert _has(_search(a.url, "quillon"), "new-2", "quillon")
