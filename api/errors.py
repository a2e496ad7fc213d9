"""One place that maps domain errors and bad requests to HTTP status codes and JSON bodies."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import (
    DocumentNotFound,
    EmbedderMismatch,
    IndexUnavailable,
    InvalidDocument,
    InvalidRequest,
    LLMUnavailable,
    RagError,
    StoreUnavailable,
)
from rag.store.collections import CollectionConflict

STATUS: dict[type[RagError], int] = {
    DocumentNotFound: 404,  # and CollectionNotFound
    InvalidRequest: 422,
    InvalidDocument: 422,
    StoreUnavailable: 503,
    LLMUnavailable: 502,
    EmbedderMismatch: 409,
    CollectionConflict: 409,
    IndexUnavailable: 503,  # this node's own disk; /readyz says not ready meanwhile
}


def error_response(
    request: Request, status: int, error: str, detail: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    rid = getattr(request.state, "request_id", None)
    body = {"error": error, "detail": detail, "request_id": rid}
    return JSONResponse(body, status_code=status, headers=headers)


def _clean_validation(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        out.append({"loc": list(e.get("loc", [])), "msg": str(e.get("msg", "")), "type": e.get("type")})
    return out


def _allowed_methods(request: Request) -> list[str]:
    """From the published schema, so routes split across routers (GET and DELETE) all count."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), request.url.path):
            methods |= {m.upper() for m in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(RagError)
    async def rag_error(request: Request, exc: RagError) -> JSONResponse:
        status = next((code for t, code in STATUS.items() if isinstance(exc, t)), 400)
        headers = {"Retry-After": "5"} if status == 503 else None
        detail: Any = str(exc)
        if status == 422:  # one shape for every 422: a list of {loc, msg, type}
            detail = [{"loc": list(exc.loc or ["body"]), "msg": str(exc), "type": exc.code}]
        return error_response(request, status, exc.code, detail, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request, 422, "invalid_request", _clean_validation(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
            415: "unsupported_media_type",
        }
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:  # one path can have several routes (GET and DELETE): list them all
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return error_response(request, exc.status_code, names.get(exc.status_code, "http_error"), exc.detail, headers)

    # Unexpected errors (500) are answered by api/middleware.ServiceMiddleware, inside Starlette's
    # error middleware, which re-raises after answering and so made uvicorn close the connection.
