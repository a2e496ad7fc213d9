"""`rag eval --server URL`: score a running deployment, as its clients reach it.

Native: `POST /v1/ask` (the answer, its citations and short answer as the API returns them).
Chat: `POST /v1/chat/completions` through the openai SDK, the citations read from the
response's structured fields (`citations`, the `rag` block, `url_citation` annotations), as a
chat frontend gets them, never parsed back out of the content. Retrieval is not part of either
response, so the ranking scored is `POST /v1/search` for the same question, `as_of` and filters.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from eval.backends import Answered, Backend, short_answer_of
from eval.gold import GoldItem
from rag.models import AskResponse, Citation, ShortAnswer, Timings

SEARCH_DEPTH = 10
UPLOAD_BYTES = 1_000_000  # per upload, far under the server's default RAG_MAX_UPLOAD_BYTES (20 MB)
_SOURCES_HEADING = "\nSources:"


class ServerError(RuntimeError):
    """The server refused or failed a request; the message says which and why."""


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    detail = body.get("detail", body) if isinstance(body, dict) else body
    return detail if isinstance(detail, str) else json.dumps(detail)[:300]


def _check(resp: httpx.Response, what: str) -> httpx.Response:
    if resp.status_code == 401:
        raise ServerError(f"{what}: the server refused the API key (401: {_detail(resp)}); pass a valid --api-key")
    if resp.status_code == 403:
        raise ServerError(f"{what}: this key may not do that (403: {_detail(resp)}); --load needs an admin key")
    if resp.status_code >= 400:
        raise ServerError(f"{what}: HTTP {resp.status_code}: {_detail(resp)}")
    return resp


def chat_model_for(model: str, collection: str | None) -> str:
    """The chat model names a collection ('newsrag-<name>[-extractive|-openai]'): the plain
    names are moved onto `collection` when one is given."""
    if collection and model in ("newsrag-extractive", "newsrag-openai", "newsrag"):
        suffix = model.removeprefix("newsrag")
        return f"newsrag-{collection}{suffix}"
    return model


def strip_sources(content: str) -> str:
    """Chat content is the answer then its Sources list (whatever its lines look like): the
    answer text alone, so the Sources' titles never count as the answer."""
    cut = content.rfind(_SOURCES_HEADING)
    return (content[:cut] if cut >= 0 else content).rstrip()


class Server(Backend):
    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        collection: str | None = None,
        chat_model: str | None = None,
        timeout: float = 120.0,
        scorer: Any = None,
    ):
        super().__init__()
        self.url = url.rstrip("/")
        self.collection = collection
        self.chat_model = chat_model_for(chat_model, collection) if chat_model else None
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._api_key = api_key
        self._timeout = timeout
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)
        self.scorer = scorer
        self._chat: Any = None

    # -- plumbing -----------------------------------------------------------------------
    @property
    def _params(self) -> dict[str, str]:
        return {"collection": self.collection} if self.collection else {}

    def check(self) -> None:
        """One reader request before the run, so a wrong key or URL fails at once and clearly."""
        try:
            _check(self.http.get("/v1/collections"), f"GET {self.url}/v1/collections")
        except httpx.HTTPError as e:
            raise ServerError(f"cannot reach {self.url}: {e}") from e

    def close(self) -> None:
        self.http.close()

    # -- answering ----------------------------------------------------------------------
    def ask(self, item: GoldItem, answerer: str | None = None, top_k: int | None = None) -> Answered:
        started = time.perf_counter()
        try:
            got = self._chat_ask(item) if self.chat_model else self._native_ask(item, answerer, top_k)
            got.wall_ms = round((time.perf_counter() - started) * 1000, 2)
            got.ranked_docs = self._ranking(item, top_k)
        except httpx.HTTPError as e:  # a dropped connection or a timeout: said, with the question
            raise ServerError(f"{self.url}: {type(e).__name__} on question {item.id}: {e}") from e
        return got

    def _native_ask(self, item: GoldItem, answerer: str | None, top_k: int | None) -> Answered:
        body: dict[str, Any] = {"question": item.question}
        if item.as_of_date():
            body["as_of"] = item.as_of_date().isoformat()  # type: ignore[union-attr]
        if item.filters is not None:
            body["filters"] = item.filters.model_dump(mode="json", exclude_none=True)
        if answerer:
            body["answerer"] = answerer
        if top_k:
            body["top_k"] = top_k
        data = _check(self.http.post("/v1/ask", params=self._params, json=body), "POST /v1/ask").json()
        return Answered(AskResponse.model_validate(data), [], short_answer_of(data.get("short_answer")))

    def _openai(self) -> Any:
        if self._chat is None:
            from openai import OpenAI

            self._chat = OpenAI(
                base_url=f"{self.url}/v1", api_key=self._api_key or "none", timeout=self._timeout, max_retries=0
            )
        return self._chat

    def _chat_ask(self, item: GoldItem) -> Answered:
        import openai

        extra = {"as_of": item.as_of_date().isoformat()} if item.as_of_date() else {}  # type: ignore[union-attr]
        try:
            completion = self._openai().chat.completions.create(
                model=self.chat_model, messages=[{"role": "user", "content": item.question}], extra_body=extra
            )
        except openai.AuthenticationError as e:
            raise ServerError(f"POST /v1/chat/completions: the server refused the API key (401: {e.message})") from e
        except openai.APIStatusError as e:
            raise ServerError(f"POST /v1/chat/completions: HTTP {e.status_code}: {e.message}") from e
        except openai.APIConnectionError as e:  # includes timeouts
            raise ServerError(f"POST /v1/chat/completions: {type(e).__name__} on question {item.id}") from e
        data = completion.model_dump()
        return Answered(*from_chat(data))

    def _ranking(self, item: GoldItem, top_k: int | None) -> list[str]:
        body: dict[str, Any] = {"query": item.question, "top_k": max(top_k or 0, SEARCH_DEPTH)}
        if item.as_of_date():
            body["as_of"] = item.as_of_date().isoformat()  # type: ignore[union-attr]
        if item.filters is not None:
            body["filters"] = item.filters.model_dump(mode="json", exclude_none=True)
        data = _check(self.http.post("/v1/search", params=self._params, json=body), "POST /v1/search").json()
        return list(dict.fromkeys(p["doc_id"] for p in data["passages"]))

    def _fetch_text(self, doc_id: str) -> str | None:
        resp = self.http.get(f"/v1/documents/{doc_id}", params=self._params)
        if resp.status_code == 404:
            return None
        return str(_check(resp, f"GET /v1/documents/{doc_id}").json()["text"])

    # -- a benchmark's corpus in its own collection -------------------------------------
    def load(self, corpus: Path, name: str, progress: Callable[[int], None] | None = None) -> int:
        """Create collection `name` and upload `corpus` (JSON Lines) into it; returns the count."""
        _check(self.http.post("/v1/collections", json={"name": name}), "POST /v1/collections")
        self.collection = name
        if self.chat_model:
            self.chat_model = chat_model_for(self.chat_model, name)
        stored = 0
        for i, part in enumerate(_parts(corpus)):
            resp = _check(
                self.http.post(
                    "/v1/documents",
                    params=self._params,
                    files=[("files", (f"{corpus.stem}-{i:04d}.jsonl", part, "application/x-ndjson"))],
                    timeout=None,  # the server embeds the part before it answers
                ),
                "POST /v1/documents",
            )
            added = len(resp.json().get("items", []))
            stored += added
            if progress:
                progress(added)
        return stored

    def drop(self, name: str) -> None:
        _check(self.http.delete(f"/v1/collections/{name}"), f"DELETE /v1/collections/{name}")


def from_chat(data: dict[str, Any]) -> tuple[AskResponse, list[str], dict[str, Any] | None]:
    """An AskResponse from a chat completion's structured fields: the top-level `citations` and
    `rag` block newsrag adds, else the message's `url_citation` annotations."""
    message = data["choices"][0]["message"]
    content = message.get("content") or ""
    rag = data.get("rag") or {}
    citations = [Citation.model_validate(c) for c in data.get("citations") or []]
    if not citations:
        for i, a in enumerate(message.get("annotations") or [], 1):
            if a.get("type") != "url_citation":
                continue
            u = a.get("url_citation") or {}
            citations.append(
                Citation(
                    n=i,
                    doc_id=str(u.get("doc_id") or u.get("url") or i),
                    chunk_id=str(u.get("chunk_id") or ""),
                    title=str(u.get("title") or ""),
                    url=u.get("url"),
                    text=str(u.get("quote") or ""),
                    quote=str(u.get("quote") or ""),
                    start=int(u.get("start") or 0),
                    end=int(u.get("end") or 0),
                    score=0.0,
                )
            )
    timings = rag.get("timings") or {}
    resp = AskResponse(
        answer=strip_sources(content),
        citations=citations,
        abstained=bool(rag.get("abstained", not citations)),
        answerer=str(rag.get("answerer") or data.get("model") or "chat"),
        time_window=rag.get("time_window"),
        timings=Timings(**{k: v for k, v in timings.items() if k in Timings.model_fields}),
        warnings=list(rag.get("warnings") or []),
        short_answer=_short_answer(rag.get("short_answer")),
    )
    return resp, [], short_answer_of(rag.get("short_answer"))


def _parts(corpus: Path) -> Iterator[bytes]:
    """The corpus in whole lines of about UPLOAD_BYTES: each part is parsed by the server as the
    JSON Lines file it is, with the same record parser as a local `rag ingest`."""
    part: list[bytes] = []
    size = 0
    with corpus.open("rb") as f:
        for line in f:
            if not line.strip():
                continue
            if part and size + len(line) > UPLOAD_BYTES:
                yield b"".join(part)
                part, size = [], 0
            part.append(line)
            size += len(line)
    if part:
        yield b"".join(part)


def collection_for_corpus(corpus: Path) -> str:
    """A collection of its own per benchmark corpus: 'eval-<folder>-<content hash>'."""
    digest = hashlib.sha256(corpus.read_bytes()).hexdigest()[:8]
    stem = re.sub(r"[^a-z0-9_-]", "-", corpus.parent.name.lower())[:40].strip("-") or "bench"
    return f"eval-{stem}-{digest}"


def _short_answer(value: Any) -> ShortAnswer | None:
    """The chat response's short answer as the ask model has it, or None (a server without one,
    or a partial one: the eval still reads its text through `short_answer_of`)."""
    try:
        return ShortAnswer.model_validate(value) if value else None
    except ValueError:
        return None
