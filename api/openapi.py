"""The published OpenAPI document, made to match what the server enforces.

FastAPI derives the schema from static models; the limits that come from settings (question
length, top_k), the error responses every route can give, and the manually parsed document
upload body are added here, once, when the schema is first requested.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.schemas import NOT_BLANK, DocumentIn, ErrorBody
from rag.settings import Settings

REF = "#/components/schemas/{model}"
ERROR = {"$ref": "#/components/schemas/ErrorBody"}
BODY_ERRORS = {
    "400": "The body cannot be decoded (not UTF-8 / not JSON)",
    "413": "The body or an upload is over its size limit",
    "422": "Invalid request: `detail` lists {loc, msg, type} for each problem",
}
UNGUARDED = {"/healthz"}  # no key needed, never touches the store
NO_STORE = {"/healthz", "/metrics", "/v1/models", "/readyz"}  # /readyz reports 503 itself


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def _set_integer_max(prop: dict[str, Any], maximum: int) -> None:
    for branch in prop.get("anyOf", [prop]):
        if branch.get("type") == "integer":
            branch["maximum"] = maximum


def _chat_rules(schemas: dict[str, Any], limit: int) -> None:
    text = {"type": "string", "pattern": NOT_BLANK}
    schemas["ChatMessage"]["if"] = {"properties": {"role": {"const": "user"}}, "required": ["role"]}
    schemas["ChatMessage"]["then"] = {
        "properties": {
            "content": {
                "anyOf": [
                    {"type": "string", "maxLength": limit},
                    {
                        "type": "array",
                        "items": {
                            "properties": {
                                "text": {"anyOf": [{"type": "string", "maxLength": limit}, {"type": "null"}]}
                            }
                        },
                    },
                    {"type": "null"},
                ]
            }
        }
    }
    schemas["ChatCompletionRequest"]["properties"]["messages"]["contains"] = {
        "type": "object",
        "required": ["role", "content"],
        "properties": {
            "role": {"const": "user"},
            "content": {
                "anyOf": [
                    text,
                    {
                        "type": "array",
                        "contains": {
                            "type": "object",
                            "required": ["type", "text"],
                            "properties": {"type": {"const": "text"}, "text": text},
                        },
                    },
                ]
            },
        },
    }


def build_openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["DocumentIn"] = DocumentIn.model_json_schema(ref_template=REF)
    schemas["ErrorBody"] = ErrorBody.model_json_schema(ref_template=REF)
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    for name, field in (("AskRequest", "question"), ("SearchRequest", "query")):
        props = schemas[name]["properties"]
        props[field]["maxLength"] = settings.max_question_chars
        _set_integer_max(props["top_k"], settings.max_top_k)
    _chat_rules(schemas, settings.max_question_chars)

    keys = bool(settings.api_key_set or settings.admin_key_set)
    for path, item in schema["paths"].items():
        for method, op in item.items():
            responses = op.setdefault("responses", {})
            if "requestBody" in op:
                responses.update({code: _error(d) for code, d in BODY_ERRORS.items()})
            elif op.get("parameters"):
                responses["422"] = _error(BODY_ERRORS["422"])
            if keys and path not in UNGUARDED:
                responses["401"] = _error("Missing or unknown bearer key")
            if settings.admin_key_set and method in ("post", "delete") and path.startswith("/v1/documents"):
                responses["403"] = _error("The key is not an admin key")
            if path not in NO_STORE:
                responses["503"] = _error("The store is unavailable; retry after `Retry-After` seconds")
            if any(p.get("name") == "collection" for p in op.get("parameters", [])):
                responses.setdefault("404", {"description": "No such collection"})
            if "404" in responses:
                responses["404"] = _error(responses["404"].get("description", "Not found"))
            if not keys:  # no keys configured: no route asks for one, so the schema must not say so
                op.pop("security", None)
    if not keys:
        schema["components"].pop("securitySchemes", None)
    return schema


def install(app: FastAPI, settings: Settings) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
