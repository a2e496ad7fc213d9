"""Pure ASGI middleware: request ids, access log, metrics, body-size limits (auth: api/security.py).

Pure ASGI (not BaseHTTPMiddleware) so streamed responses pass through untouched.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import Metrics
from rag.settings import Settings

access_log = logging.getLogger("rag.access")
_RID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
UPLOAD_PATHS = frozenset({"/v1/documents"})


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

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], rid_header]
            await send(message)

        def finish() -> None:
            route = scope.get("route")
            label = getattr(route, "path", None) or ("unmatched" if status_holder["status"] == 404 else path)
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(method, label, str(status_holder["status"])).inc()
            self.metrics.latency.labels(method, label).observe(elapsed)
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
            await self.app(scope, receive_limited, send_limited)
        except _TooLarge:
            if not answered:
                answered = True
                await too_large()
        finally:
            finish()
