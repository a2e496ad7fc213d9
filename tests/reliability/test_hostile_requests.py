"""Hostile requests, each case one of the reported failures: junk requests grew /metrics without
bound; deeply nested JSON was a 500 (and failed a JSONL file's good records); after any 500 the
next request on the same keep-alive connection got a reset; a bidi-spoofed URL was a live link."""

from __future__ import annotations

import http.client
import json
import random
import string
import time
from collections.abc import Iterator

import httpx
import pytest

from api.app import create_app
from rag.answer.safety import neutralise, safe_link
from rag.pipeline import RagPipeline
from tests.conftest import UvicornThread
from tests.reliability.test_html_parsing import _page

pytestmark = pytest.mark.slow

NESTED = "[" * 100_000 + "]" * 100_000
# Methods the HTTP parser accepts (WebDAV, UPnP, ...), none of which the API serves.
EXOTIC_METHODS = ["PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "PURGE", "REPORT",
                  "MKACTIVITY", "CHECKOUT", "MERGE", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "LINK", "UNLINK"]  # fmt: skip


@pytest.fixture()
def server(fresh_pipeline) -> Iterator[UvicornThread]:  # type: ignore[no-untyped-def]
    with UvicornThread(create_app(fresh_pipeline.settings, fresh_pipeline)) as srv:
        yield srv


def test_metrics_stay_small_after_junk_requests(server: UvicornThread) -> None:
    rng = random.Random(7)

    def junk() -> str:
        return "".join(rng.choices(string.ascii_letters, k=12))

    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.get("/healthz")
        before = len(client.get("/metrics").content)
        for i in range(10_000):
            kind = i % 4
            if kind == 0:  # a 405 on a static path
                client.post(f"/static/{junk()}.js")
            elif kind == 1:  # an exotic method on a real route
                client.request(rng.choice(EXOTIC_METHODS), "/v1/documents")
            elif kind == 2:  # a made-up path
                client.get(f"/{junk()}/{junk()}")
            else:  # an exotic method on a made-up static path
                client.request(rng.choice(EXOTIC_METHODS), f"/static/{junk()}")
        after = client.get("/metrics").text
    assert len(after) < before + 20_000, len(after) - before
    assert 'method="other"' in after and 'route="/static/{path}"' in after


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/ask", '{"question": ' + NESTED + "}", "question[0]"),
        ("/v1/documents", NESTED, "[0][0]"),
        ("/v1/chat/completions", '{"model": "newsrag", "messages": [{"role": "user", "content": ' + NESTED + "}]}",
         "messages[0].content"),
    ],
)  # fmt: skip
def test_nested_json_body_is_422_naming_the_field(server: UvicornThread, path: str, body: str, field: str) -> None:
    r = httpx.post(f"{server.url}{path}", content=body, headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 422, r.text[:300]
    [detail] = r.json()["detail"]
    assert detail["type"] == "json_too_deep" and field in detail["msg"], detail


def test_nested_json_line_fails_alone_in_a_jsonl_upload(server: UvicornThread) -> None:
    lines = [
        json.dumps({"doc_id": "good-1", "title": "Pier vote", "text": "The council voted for the pier."}),
        '{"doc_id": "deep", "title": "Deep", "text": "x", "categories": ' + NESTED + "}",
        json.dumps({"doc_id": "good-2", "title": "Ferry strike", "text": "The ferry strike ended on Tuesday."}),
    ]
    files = {"files": ("notes.jsonl", ("\n".join(lines) + "\n").encode())}
    r = httpx.post(f"{server.url}/v1/documents", files=files, timeout=120)
    assert r.status_code == 207, r.text[:300]
    out = r.json()
    assert out["added"] == 2
    [failure] = out["failures"]
    assert failure["input"] == "notes.jsonl:2" and "categories" in failure["reason"] and "deeper" in failure["reason"]


class _BrokenOutlets(RagPipeline):
    """A real pipeline whose outlet listing fails unexpectedly (a bug anywhere behind a route)."""

    def outlets(self) -> list[str]:
        raise RuntimeError("unexpected failure behind the route")


def test_keep_alive_connection_survives_a_500(fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    pipeline = _BrokenOutlets(fresh_pipeline.settings, embedder=fresh_pipeline.embedder)
    with UvicornThread(create_app(pipeline.settings, pipeline)) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        conn.request("GET", "/v1/outlets")
        first = conn.getresponse()
        body = json.loads(first.read())
        assert first.status == 500 and body["error"] == "internal_error"
        for _ in range(3):  # the same connection, still open
            conn.request("GET", "/healthz")
            again = conn.getresponse()
            again.read()
            assert again.status == 200
        conn.close()


def test_citation_markers_in_article_text_stay_readable() -> None:
    assert neutralise("as reported [1][2][3] and [ 4 ]") == "as reported (1)(2)(3) and (4)"
    assert neutralise("[see][1] the [report](https://x.example/r)") == "see the report"


def test_a_bidi_spoofed_url_is_never_a_link(server: UvicornThread) -> None:
    spoofed = "https://harbour.example/news/\u202eexe.gpj"
    assert safe_link(spoofed) is None and safe_link("https://harbour.example/\u200bnews") is None
    assert safe_link("https://harbour.example/news") == "https://harbour.example/news"
    doc = {
        "doc_id": "pier-bidi",
        "title": "Harbour council votes on the pier",
        "text": "The harbour council voted on Tuesday to build a new pier, the mayor said.",
        "url": spoofed,
    }
    assert httpx.post(f"{server.url}/v1/documents", json=doc, timeout=60).status_code == 200
    r = httpx.post(f"{server.url}/v1/ask", json={"question": "What did the harbour council vote on?"}, timeout=60)
    out = r.json()
    assert out["citations"] and all(c["url"] is None for c in out["citations"])
    assert "\u202e" not in json.dumps(out["answer"], ensure_ascii=False)


def test_upload_parsing_stops_when_its_client_leaves(server: UvicornThread) -> None:
    """Reported: a 15 MB upload was still parsing 8.7 minutes after its client left, and what it
    parsed was then written. Now the request ends (499) as the client goes, and nothing is stored."""
    page = _page(2_000_000)
    files = [("files", (f"page-{i}.html", page)) for i in range(8)]
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server.url}/v1/documents", files=files, timeout=httpx.Timeout(120, read=2.0))
    recorded: dict[str, float] = {}
    for _ in range(600):  # until the server has recorded how the upload ended
        recorded = _upload_statuses(httpx.get(f"{server.url}/metrics").text)
        if recorded:
            break
        time.sleep(0.2)
    assert recorded == {"499": 1.0}, recorded
    assert httpx.get(f"{server.url}/v1/documents").json()["total"] == 0


def _upload_statuses(metrics: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in metrics.splitlines():
        if line.startswith("rag_http_requests_total{") and 'route="/v1/documents"' in line and 'method="POST"' in line:
            status = line.split('status="', 1)[1].split('"', 1)[0]
            out[status] = float(line.rsplit(" ", 1)[1])
    return out


def test_colliding_upload_names_are_a_failure_not_an_update(server: UvicornThread) -> None:
    files = [
        ("files", ("2023/report.txt", b"Report 2023\n\nThe harbour budget rose in 2023.")),
        ("files", ("2024/report.txt", b"Report 2024\n\nThe harbour budget fell in 2024.")),
        ("files", ("report.txt", b"Report\n\nThe harbour budget was filed.")),
        ("files", ("report.md", b"# Notes\n\nThe harbour notes were filed on Monday.")),
    ]
    r = httpx.post(f"{server.url}/v1/documents", files=files, timeout=60)
    assert r.status_code == 207, r.text
    out = r.json()
    assert out["added"] == 3 and out["updated"] == 0 and len({i["doc_id"] for i in out["items"]}) == 3
    [failure] = out["failures"]
    assert failure["input"] == "report.md" and "'report'" in failure["reason"]
