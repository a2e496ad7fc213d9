"""Pure ASGI middleware: request ids, access log, metrics, body-size and JSON-depth limits, and the
last catch for unexpected errors (auth: api/security.py).

Pure ASGI (not BaseHTTPMiddleware) so streamed responses pass through untouched.

Unexpected errors are answered here and not re-raised: Starlette's outermost error middleware
re-raises after its 500 response, and uvicorn then closes the connection, so the client's next
keep-alive request on it got a reset.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import Metrics
from rag.json_depth import describe, too_deep
from rag.settings import Settings

access_log = logging.getLogger("rag.access")
log = logging.getLogger("api.errors")
_RID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
UPLOAD_PATHS = frozenset({"/v1/documents"})
# Metric labels come from a closed set: route templates, these methods, "other".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_SCAN_IN_THREAD = 256_000  # bytes of JSON body above which the depth scan leaves the event loop


def route_label(scope: Scope, root_path: str) -> str:
    """The route template that answered ('/v1/documents/{doc_id}'), a mount's ('/static/{path}'),
    or 'unmatched': never the raw path, which a client chooses."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str) and template:
        return template
    mounted = scope.get("root_path", root_path)
    if isinstance(mounted, str) and mounted != root_path and mounted.startswith(root_path):
        return f"{mounted[len(root_path) :]}/{{path}}"
    return "unmatched"


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "other"


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": raw})


class _TooLarge(Exception):
    pass


class ServiceMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, metrics: Metrics):
        self.app = app
        self.settings = settings
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        rid = headers.get("x-request-id", "")
        rid = rid if _RID.match(rid) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        rid_header = (b"x-request-id", rid.encode())
        path: str = scope.get("path", "")
        method: str = scope.get("method", "GET")
        started = time.perf_counter()
        status_holder = {"status": 500}
        root_path: str = scope.get("root_path", "")
        response_started = False

        async def send_wrapped(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], rid_header]
            await send(message)

        def finish() -> None:
            label = route_label(scope, root_path)
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(method_label(method), label, str(status_holder["status"])).inc()
            self.metrics.latency.labels(method_label(method), label).observe(elapsed)
            access_log.info(
                json.dumps(
                    {
                        "request_id": rid,
                        "method": method,
                        "path": path,
                        "route": label,
                        "status": status_holder["status"],
                        "duration_ms": round(elapsed * 1000, 2),
                        "client": (scope.get("client") or ["", 0])[0],
                    }
                )
            )

        limit = self.settings.max_upload_bytes if path in UPLOAD_PATHS else self.settings.max_body_bytes

        async def too_large() -> None:
            status_holder["status"] = 413
            detail = f"request body exceeds the limit of {limit} bytes for {path}"
            body = {"error": "payload_too_large", "request_id": rid, "detail": detail}
            await _send_json(send, 413, body, [rid_header])

        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await too_large()
            finish()
            return
        received = 0
        exceeded = False
        answered = False

        async def receive_limited() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge()
            return message

        async def send_limited(message: Message) -> None:
            # A chunked body over the limit: whatever the app made of the aborted read (FastAPI
            # answers 400 "error parsing the body"), the client gets the 413 it deserves.
            nonlocal answered
            if exceeded:
                if not answered:
                    answered = True
                    await too_large()
                return
            await send_wrapped(message)

        try:
            app_receive: Receive = receive_limited
            ctype = headers.get("content-type", "").split(";")[0]
            if method in _BODY_METHODS and ("json" in ctype or not ctype.strip()):  # FastAPI reads both as JSON
                body, app_receive = await _buffered(receive_limited)
                deep = await self._too_deep(body)
                if deep is not None:
                    status_holder["status"] = 422
                    await _send_json(send, 422, deep | {"request_id": rid}, [rid_header])
                    return
            await self.app(scope, app_receive, send_limited)
        except _TooLarge:
            if not answered:
                answered = True
                await too_large()
        except Exception:
            log.exception("unhandled error on %s %s", method_label(method), path)
            if not response_started and not answered:
                status_holder["status"] = 500
                error = {"error": "internal_error", "detail": "unexpected server error; see the server log"}
                await _send_json(send, 500, error | {"request_id": rid}, [rid_header])
        finally:
            finish()

    async def _too_deep(self, body: bytes) -> dict[str, Any] | None:
        """The 422 body for JSON nested deeper than the limit, naming the field; else None."""
        limit = self.settings.max_json_depth
        text = body.decode("utf-8", "replace")
        if len(body) > _SCAN_IN_THREAD:
            found = await anyio.to_thread.run_sync(too_deep, text, limit)
        else:
            found = too_deep(text, limit)
        if found is None:
            return None
        field = describe(found)
        msg = f"field '{field}': JSON nested deeper than {limit} levels (RAG_MAX_JSON_DEPTH)"
        detail = [{"loc": ["body", *found[:6]], "msg": msg, "type": "json_too_deep"}]
        return {"error": "invalid_request", "detail": detail}


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a `receive` that hands it to the app once, then the client's
    own messages (a disconnect)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            first: Message | None = message
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            first = None
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            if first is not None:  # the client left before the body was complete
                return first
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
