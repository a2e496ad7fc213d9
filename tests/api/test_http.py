"""Real uvicorn on a loopback port, real clients (httpx, the official openai SDK)."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from openai import OpenAI

from api.app import create_app
from tests.conftest import UvicornThread, page_through

GT, XINHUA = "000_c52a582f011e3939", "001_27f4805873241f1d"


def sse_events(text: str) -> list[tuple[str, str]]:
    events = []
    for block in text.strip().split("\n\n"):
        name = next((line[7:] for line in block.split("\n") if line.startswith("event: ")), "message")
        data = "\n".join(line[6:] for line in block.split("\n") if line.startswith("data: "))
        events.append((name, data))
    return events


def test_openai_sdk_non_stream_and_stream(api_server) -> None:  # type: ignore[no-untyped-def]
    client = OpenAI(base_url=f"{api_server.url}/v1", api_key="unused")
    assert "newsrag-extractive" in [m.id for m in client.models.list()]
    msg = [{"role": "user", "content": "What did Oman say?"}]
    resp = client.chat.completions.create(model="newsrag-extractive", messages=msg, temperature=0.2, max_tokens=50)
    content = resp.choices[0].message.content or ""
    assert "Sources:" in content and "Global Times" in content and "Xinhua" in content
    extra = resp.model_extra or {}
    assert {GT, XINHUA} <= {c["doc_id"] for c in extra["citations"]}
    streamed = "".join(
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(model="newsrag-extractive", messages=msg, stream=True)
        if c.choices
    )
    assert streamed == content


def test_follow_up_question_uses_history(api_server) -> None:  # type: ignore[no-untyped-def]
    client = OpenAI(base_url=f"{api_server.url}/v1", api_key="unused")
    first = client.chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": "What did Oman say?"}]
    )
    answer = first.choices[0].message.content or ""
    follow = client.chat.completions.create(
        model="newsrag",
        messages=[
            {"role": "user", "content": "What did Oman say?"},
            {"role": "assistant", "content": answer},
            {"role": "user", "content": "What else did he say?"},
        ],
    )
    text = follow.choices[0].message.content or ""
    assert "don't cover" not in text
    first_sentences = {s for s in answer.split(" [") if len(s) > 40}
    assert not any(s in text for s in first_sentences)


def test_native_ask_json_and_sse(api_server) -> None:  # type: ignore[no-untyped-def]
    r = httpx.post(f"{api_server.url}/v1/ask", json={"question": "What did Oman say?"}, timeout=60)
    assert r.status_code == 200 and r.headers["x-request-id"]
    body = r.json()
    assert set(body) >= {"answer", "citations", "abstained", "answerer", "timings", "warnings"}
    r = httpx.post(
        f"{api_server.url}/v1/ask",
        json={"question": "What did Oman say?"},
        headers={"Accept": "text/event-stream"},
        timeout=60,
    )
    events = sse_events(r.text)
    names = [n for n, _ in events]
    assert names[0] == "citations" and names[-1] == "done" and set(names[1:-1]) == {"citations", "delta"}
    done = json.loads(events[-1][1])
    assert "".join(json.loads(d)["text"] for n, d in events if n == "delta") == done["answer"] == body["answer"]
    # One sentence per delta, each after the citations it is the first to use.
    known: set[int] = set()
    for name, data in events[:-1]:
        if name == "citations":
            known |= {c["n"] for c in json.loads(data)}
        else:
            assert {int(n) for n in re.findall(r"\[(\d+)\]", json.loads(data)["text"])} <= known
    streamed = [c for n, d in events if n == "citations" for c in json.loads(d)]
    assert streamed == done["citations"] and len([n for n in names if n == "delta"]) > 1


def test_search_returns_ranked_passages(api_server) -> None:  # type: ignore[no-untyped-def]
    r = httpx.post(
        f"{api_server.url}/v1/search",
        json={"query": "Omani foreign minister", "top_k": 3, "filters": {"sources": ["Xinhua"]}},
        timeout=60,
    )
    assert r.status_code == 200
    passages = r.json()["passages"]
    assert passages and all(p["source"] == "Xinhua" for p in passages)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/v1/ask", {"question": 5}, 422),
        ("POST", "/v1/ask", {"question": ""}, 422),
        ("POST", "/v1/ask", {"question": "x" * 5000}, 422),
        ("POST", "/v1/ask", {"question": "hi", "top_k": 500}, 422),
        ("POST", "/v1/ask", {"question": "hi", "filters": {"published_from": "not-a-date"}}, 422),
        ("POST", "/v1/ask", {"question": "hi", "answerer": "gpt-9"}, 422),
        ("POST", "/v1/chat/completions", {"messages": []}, 422),
        ("POST", "/v1/chat/completions", {"model": "m", "messages": [{"role": "system", "content": "x"}]}, 422),
        ("GET", "/v1/documents/nope", None, 404),
        ("DELETE", "/v1/documents/nope", None, 404),
        ("POST", "/v1/documents", [], 422),
        ("POST", "/v1/documents", {"title": "t"}, 422),
        # strict types: no silent coercion of numbers, strings and booleans
        ("POST", "/v1/ask", {"question": "hi", "stream": 0}, 422),
        ("POST", "/v1/ask", {"question": "hi", "top_k": "5"}, 422),
        ("POST", "/v1/ask", {"question": "hi", "top_k": 0}, 422),
        ("POST", "/v1/ask", {"question": "   "}, 422),
        ("POST", "/v1/ask", {"question": "\x1e\ufeff"}, 422),  # blank to Python, or to JSON Schema
        ("POST", "/v1/search", {"query": "hi", "filters": {"published_to": 0}}, 422),
        ("POST", "/v1/search", {"query": "hi", "filters": {"source": ["Xinhua"]}}, 422),
        ("POST", "/v1/search", {"query": "hi", "top_k": 3.0}, 200),
        ("POST", "/v1/chat/completions", {"messages": [{"role": "0", "content": "hi"}]}, 422),
        ("POST", "/v1/chat/completions", {"messages": [{"role": "user", "content": "x" * 2001}]}, 422),
        ("POST", "/v1/documents", {"title": "t", "text": "Body.", "published": 1700000000}, 422),
    ],
)
def test_bad_input_gets_a_clear_4xx(api_server, method: str, path: str, body: object, status: int) -> None:  # type: ignore[no-untyped-def]
    r = httpx.request(method, f"{api_server.url}{path}", json=body, timeout=60)
    assert r.status_code == status, r.text
    if status >= 400:
        assert r.json()["error"] and "detail" in r.json()


def test_wrong_method_lists_every_allowed_method(api_server) -> None:  # type: ignore[no-untyped-def]
    r = httpx.request("OPTIONS", f"{api_server.url}/v1/documents/some-id")
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) >= {"GET", "DELETE"}


def test_openapi_publishes_the_enforced_limits(api_server) -> None:  # type: ignore[no-untyped-def]
    schema = httpx.get(f"{api_server.url}/openapi.json").json()
    ask = schema["components"]["schemas"]["AskRequest"]["properties"]
    assert ask["question"]["maxLength"] == 2000
    assert {"type": "integer", "minimum": 1, "maximum": 50} in ask["top_k"]["anyOf"]
    upload = schema["paths"]["/v1/documents"]["post"]
    assert upload["requestBody"]["content"]["application/json"]["schema"]["anyOf"][0]["$ref"].endswith("/DocumentIn")
    assert "DocumentIn" in schema["components"]["schemas"]
    assert {"200", "207", "413", "422", "503"} <= set(upload["responses"])


def test_body_limits_and_malformed_json(api_server) -> None:  # type: ignore[no-untyped-def]
    r = httpx.post(f"{api_server.url}/v1/ask", content=b"{" * 2_000_000, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    r = httpx.post(f"{api_server.url}/v1/ask", json={"question": "x" * 5000})
    assert r.status_code == 422 and "limit is 2000" in r.json()["detail"][0]["msg"]
    r = httpx.post(f"{api_server.url}/v1/ask", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422


def test_documents_round_trip(fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    with UvicornThread(create_app(fresh_pipeline.settings, fresh_pipeline)) as srv:
        doc = {
            "title": "Harbour reopens",
            "text": "The harbour reopened on Monday. Officials said traffic was normal.",
            "source": "Harbour Post",
            "published": "2024-03-05",
            "doc_id": "harbour-1",
        }
        r = httpx.post(f"{srv.url}/v1/documents", json=doc, timeout=60)
        assert r.status_code == 200 and r.json()["added"] == 1
        assert httpx.post(f"{srv.url}/v1/documents", json=[doc], timeout=60).json()["unchanged"] == 1
        files = {"files": ("story.txt", b"Ferry strike ends\n\nThe ferry strike ended on Tuesday, the union said.")}
        up = httpx.post(f"{srv.url}/v1/documents", files=files, timeout=60).json()
        assert up["added"] == 1 and up["items"][0]["doc_id"] == "story" and up["failures"] == []
        mixed = [("files", ("story.txt", files["files"][1])), ("files", ("pic.png", b"\x89PNG\x00\x00"))]
        partial = httpx.post(f"{srv.url}/v1/documents", files=mixed, timeout=60)
        assert partial.status_code == 207 and partial.json()["unchanged"] == 1
        assert [f["input"] for f in partial.json()["failures"]] == ["pic.png"]
        none = httpx.post(f"{srv.url}/v1/documents", files={"files": ("pic.png", b"\x89PNG\x00\x00")}, timeout=60)
        assert none.status_code == 422 and "binary" in none.json()["detail"][0]["msg"]
        listing = httpx.get(f"{srv.url}/v1/documents", params={"limit": 1}).json()
        assert listing["total"] == 2 and len(listing["items"]) == 1
        got = httpx.get(f"{srv.url}/v1/documents/harbour-1").json()
        assert got["text"].startswith("The harbour reopened") and got["source"] == "Harbour Post"
        ask = httpx.post(f"{srv.url}/v1/ask", json={"question": "When did the ferry strike end?"}, timeout=60).json()
        assert not ask["abstained"] and ask["citations"][0]["doc_id"] == "story"
        assert httpx.delete(f"{srv.url}/v1/documents/harbour-1").json()["deleted"] == "harbour-1"
        assert httpx.get(f"{srv.url}/v1/documents/harbour-1").status_code == 404


def test_api_keys_guard_every_data_route(seeded_pipeline) -> None:  # type: ignore[no-untyped-def]
    """Health and the API's own description are open (clients and generators need the schema,
    which publishes the bearer scheme); everything that reads or writes the archive needs a key."""
    settings = seeded_pipeline.settings.model_copy(update={"api_keys": "reader", "admin_keys": "boss"})
    with UvicornThread(create_app(settings, seeded_pipeline)) as srv:
        assert httpx.get(f"{srv.url}/healthz").status_code == 200
        schema = httpx.get(f"{srv.url}/openapi.json").json()
        assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
        for method, path in [
            ("GET", "/readyz"),
            ("GET", "/metrics"),
            ("GET", "/v1/models"),
            ("POST", "/v1/ask"),
            ("POST", "/v1/search"),
            ("POST", "/v1/chat/completions"),
            ("GET", "/v1/documents"),
            ("POST", "/v1/documents"),
            ("DELETE", "/v1/documents/x"),
        ]:
            r = httpx.request(method, f"{srv.url}{path}", json={})
            assert r.status_code == 401, (method, path)
            assert r.json()["error"] == "unauthorized"
        reader = {"Authorization": "Bearer reader"}
        assert httpx.get(f"{srv.url}/v1/documents", headers=reader).status_code == 200
        doc = {"title": "t", "text": "some text"}
        assert httpx.post(f"{srv.url}/v1/documents", json=doc, headers=reader).status_code == 403
        assert httpx.delete(f"{srv.url}/v1/documents/x", headers=reader).status_code == 403
        client = OpenAI(base_url=f"{srv.url}/v1", api_key="reader")
        assert client.chat.completions.create(
            model="newsrag", messages=[{"role": "user", "content": "What did Oman say?"}]
        ).choices


def test_health_ready_metrics(api_server) -> None:  # type: ignore[no-untyped-def]
    assert httpx.get(f"{api_server.url}/readyz").json()["status"] == "ready"
    httpx.post(f"{api_server.url}/v1/ask", json={"question": "What did the Pope say about Gaza?"}, timeout=60)
    text = httpx.get(f"{api_server.url}/metrics").text
    assert 'rag_http_requests_total{method="POST",route="/v1/ask"' in text
    assert 'rag_answers_total{abstained="true",answerer="extractive"}' in text
    r = httpx.get(f"{api_server.url}/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"


def test_usage_counts_real_tokens_and_streams_a_usage_chunk(api_server) -> None:  # type: ignore[no-untyped-def]
    """What Open WebUI asks for: `stream_options.include_usage` gives a final chunk with usage."""
    client = OpenAI(base_url=f"{api_server.url}/v1", api_key="unused")
    question = "What did Oman say about " + "the Palestinian issue and the talks " * 10 + "?"
    msg = [{"role": "user", "content": question}]
    resp = client.chat.completions.create(model="newsrag", messages=msg)
    assert resp.usage is not None and resp.usage.prompt_tokens > 60
    chunks = list(
        client.chat.completions.create(
            model="newsrag", messages=msg, stream=True, stream_options={"include_usage": True}
        )
    )
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == resp.usage.completion_tokens > 0


def test_as_of_on_every_route(api_server) -> None:  # type: ignore[no-untyped-def]
    """`as_of` on /v1/ask, /v1/search and chat (as the openai SDK sends it, via extra_body)."""
    url = api_server.url
    ask = httpx.post(f"{url}/v1/ask", json={"question": "What did Oman say?", "as_of": "2023-11-01"}, timeout=60).json()
    assert ask["as_of"] == "2023-11-01" and ask["citations"]
    assert all(c["published"] <= "2023-11-01" for c in ask["citations"] if c["published"])
    search = httpx.post(
        f"{url}/v1/search", json={"query": "China in October 2023", "as_of": "2023-11-30T10:00:00+00:00"}, timeout=60
    ).json()
    assert search["time_window"] == {"from": "2023-10-01", "to": "2023-10-31", "phrase": "in October 2023"}
    assert search["passages"] and all(p["published"].startswith("2023-10") for p in search["passages"])
    client = OpenAI(base_url=f"{url}/v1", api_key="unused")
    resp = client.chat.completions.create(
        model="newsrag",
        messages=[{"role": "user", "content": "What did Oman say?"}],
        extra_body={"as_of": "2023-11-01"},
    )
    extra = resp.model_extra or {}
    assert extra["rag"]["as_of"] == "2023-11-01"
    assert all(c["published"] <= "2023-11-01" for c in extra["citations"] if c["published"])
    bad = httpx.post(f"{url}/v1/ask", json={"question": "What did Oman say?", "as_of": "yesterday"}, timeout=60)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "as_of"


def test_paging_returns_every_document_exactly_once_in_id_order(fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    import random

    ids = [f"note-{i:03d}" for i in range(37)]
    random.Random(3).shuffle(ids)  # written in no particular order
    docs = [{"doc_id": d, "title": f"Note {d}", "text": f"Harbour note {d} about the tides."} for d in ids]
    with UvicornThread(create_app(fresh_pipeline.settings, fresh_pipeline)) as srv:
        assert httpx.post(f"{srv.url}/v1/documents", json=docs, timeout=120).status_code == 200
        seen, totals = page_through(srv.url, 5)
        assert totals == {37}
        assert seen == sorted(ids), "every document once, in id order"
        # A write and a delete are reflected by the next page read.
        httpx.post(
            f"{srv.url}/v1/documents", json={"doc_id": "a-first", "title": "A", "text": "First note."}, timeout=60
        )
        httpx.delete(f"{srv.url}/v1/documents/{sorted(ids)[0]}")
        first = httpx.get(f"{srv.url}/v1/documents", params={"limit": 2}).json()
        assert [d["doc_id"] for d in first["items"]] == ["a-first", sorted(ids)[1]] and first["total"] == 37
