"""Several archives in one service: documents, questions and deletes never cross collections."""

from __future__ import annotations

import httpx
from openai import OpenAI

from api.app import create_app
from tests.conftest import SEEDS, UvicornThread, page_through

WORLD = {"title": "Harbour talks in Valdora", "text": "Valdora's foreign minister said the harbour talks would resume on Monday.",
         "source": "World Wire", "doc_id": "w1"}  # fmt: skip
BUSINESS = {"title": "Valdora harbour shares rise", "text": "Valdora harbour shares rose four percent after the talks were announced.",
            "source": "Market Daily", "doc_id": "b1"}  # fmt: skip


def test_collections_are_separate_archives(fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    fresh_pipeline.ingest_paths([SEEDS])
    settings = fresh_pipeline.settings.model_copy(update={"admin_keys": "boss"})
    admin = {"Authorization": "Bearer boss"}
    with UvicornThread(create_app(settings, fresh_pipeline)) as srv:
        url = srv.url
        assert httpx.post(f"{url}/v1/collections", json={"name": "world"}).status_code == 401
        for name in ("world", "business"):
            assert httpx.post(f"{url}/v1/collections", json={"name": name}, headers=admin).status_code == 201
        assert httpx.post(f"{url}/v1/collections", json={"name": "world"}, headers=admin).status_code == 200
        assert httpx.post(f"{url}/v1/collections", json={"name": "Bad Name"}, headers=admin).status_code == 422
        listed = httpx.get(f"{url}/v1/collections").json()
        assert set(listed["collections"]) == {"news", "world", "business"} and listed["default"] == "news"
        for doc, name in ((WORLD, "world"), (BUSINESS, "business")):
            r = httpx.post(f"{url}/v1/documents", params={"collection": name}, json=doc, headers=admin, timeout=60)
            assert r.status_code == 200, r.text
        # Documents stay in their archive.
        ids = {n: {d["doc_id"] for d in httpx.get(f"{url}/v1/documents", params={"collection": n}).json()["items"]}
               for n in ("news", "world", "business")}  # fmt: skip
        assert ids["world"] == {"w1"} and ids["business"] == {"b1"} and not ids["news"] & {"w1", "b1"}
        assert httpx.get(f"{url}/v1/documents/w1", params={"collection": "business"}).status_code == 404
        assert httpx.get(f"{url}/v1/documents/x", params={"collection": "nope"}).status_code == 404
        # Questions: the model name chooses the archive, as a chat frontend chooses a model.
        client = OpenAI(base_url=f"{url}/v1", api_key="unused")
        assert {"newsrag-world", "newsrag-business", "newsrag-news"} <= {m.id for m in client.models.list()}
        q = [{"role": "user", "content": "What happened to the Valdora harbour?"}]
        world = client.chat.completions.create(model="newsrag-world", messages=q)
        assert {c["doc_id"] for c in (world.model_extra or {})["citations"]} == {"w1"}
        business = client.chat.completions.create(model="newsrag-business", messages=q)
        assert {c["doc_id"] for c in (business.model_extra or {})["citations"]} == {"b1"}
        native = httpx.post(
            f"{url}/v1/ask", params={"collection": "world"}, json={"question": "What did Valdora say?"}, timeout=60
        )
        assert {c["doc_id"] for c in native.json()["citations"]} == {"w1"}
        assert httpx.post(f"{url}/v1/ask", json={"question": "What did Valdora say?"}, timeout=60).json()["abstained"]
        # Deletes: deleting w1 from business is a 404 and changes nothing; a collection goes whole.
        assert (
            httpx.delete(f"{url}/v1/documents/w1", params={"collection": "business"}, headers=admin).status_code == 404
        )
        assert httpx.delete(f"{url}/v1/collections/world", headers=admin).status_code == 200
        assert httpx.get(f"{url}/v1/documents", params={"collection": "world"}).status_code == 404
        assert httpx.get(f"{url}/v1/documents/b1", params={"collection": "business"}).status_code == 200
        assert httpx.delete(f"{url}/v1/collections/news", headers=admin).status_code == 409
        assert httpx.post(f"{url}/v1/collections", json={"name": "world-openai"}, headers=admin).status_code == 409


def test_paging_returns_every_document_once_in_id_order(fresh_pipeline) -> None:  # type: ignore[no-untyped-def]
    from rag.ingest.ingester import Parsed
    from rag.models import Document

    docs = [
        Document(doc_id=f"p{i:03d}", title=f"Note {i}", text=f"Council note number {i} was filed.") for i in range(57)
    ]
    fresh_pipeline.ingest_parsed([Parsed(d.doc_id, doc=d) for d in reversed(docs)])
    with UvicornThread(create_app(fresh_pipeline.settings, fresh_pipeline)) as srv:
        seen, totals = page_through(srv.url, 10)
    assert totals == {57}
    assert seen == sorted(d.doc_id for d in docs)
