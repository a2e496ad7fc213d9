from __future__ import annotations

import json
from typing import Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from api.deps import AdminDep, PipelineDep, SettingsDep
from api.schemas import NOT_BLANK, DeleteResponse, DocumentIn, DocumentList, IngestResponse
from rag.errors import InvalidRequest
from rag.ingest.ingester import Parsed
from rag.ingest.parsers import content_id, make_doc_id
from rag.models import Document, DocumentDetail, IngestReport

router = APIRouter(tags=["documents"])
_MANY = TypeAdapter(DocumentIn | list[DocumentIn])
MAX_DOCS_PER_REQUEST = 1000

_BODY_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/DocumentIn"},
                        {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": MAX_DOCS_PER_REQUEST,
                            "items": {"$ref": "#/components/schemas/DocumentIn"},
                        },
                    ]
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "additionalProperties": False,
                    "properties": {
                        "files": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": MAX_DOCS_PER_REQUEST,
                            "items": {
                                # text articles, UTF-8, no NUL bytes; the file name's extension picks the
                                # parser (.txt/.md news, .jsonl/.json records, .html)
                                "type": "string",
                                "contentMediaType": "text/plain",
                                "pattern": rf"^[^\x00]*{NOT_BLANK}[^\x00]*$",
                            },
                        }
                    },
                },
            },
        },
    }
}


def _response(report: IngestReport) -> IngestResponse:
    return IngestResponse(
        items=[i for i in report.items if i.status != "failed"],
        failures=[i for i in report.items if i.status == "failed"],
        added=report.count("added"),
        updated=report.count("updated"),
        unchanged=report.count("unchanged"),
        failed=report.failed,
    )


def _to_parsed(items: list[DocumentIn]) -> list[Parsed]:
    out = []
    for i, d in enumerate(items):
        doc = Document(
            doc_id=make_doc_id(d.doc_id) if d.doc_id else content_id(d.title, d.text),
            title=d.title.strip(),
            text=d.text.replace("\r\n", "\n"),
            source=d.source,
            published=d.published,
            url=d.url,
            categories=d.categories,
        )
        out.append(
            Parsed(input=f"document[{i}]", doc=doc)
            if doc.text.strip()
            else Parsed(input=f"document[{i}]", error="empty 'text'")
        )
    return out


@router.post(
    "/v1/documents",
    response_model=IngestResponse,
    openapi_extra=_BODY_SCHEMA,
    summary="Add or update documents (JSON records or multipart file upload)",
    description="200: every document stored (added, updated or unchanged). 207: some stored, some failed "
    "(`failures` lists them with a reason). 422: none stored.",
    responses={207: {"model": IngestResponse, "description": "Some documents stored, some failed"}},
)
async def add_documents(request: Request, pipeline: PipelineDep, settings: SettingsDep, _: AdminDep) -> JSONResponse:
    ctype = request.headers.get("content-type", "")
    parsed: list[Parsed] = []
    if ctype.startswith("multipart/form-data"):
        try:
            form = await request.form(max_files=MAX_DOCS_PER_REQUEST, max_part_size=settings.max_upload_bytes)
        except Exception as e:  # malformed multipart bodies raise several types
            raise InvalidRequest(f"malformed multipart body: {e}") from None
        unknown = sorted({k for k, _ in form.multi_items() if k != "files"})
        if unknown:
            raise InvalidRequest(f"unknown multipart field(s) {', '.join(map(repr, unknown))}: send files as 'files'")
        uploads = form.getlist("files")
        if not uploads:
            raise InvalidRequest("multipart upload needs at least one file in the 'files' field")
        for i, f in enumerate(uploads):
            if isinstance(f, str):  # a text part without a filename is a document too
                raw, name = f.encode("utf-8", "surrogatepass"), f"files[{i}].txt"
            else:
                raw, name = await f.read(), f.filename or f"files[{i}].txt"
            parsed += pipeline.ingester.parse_upload(raw, name, display=name, path=name)
    elif ctype.startswith("application/json") or not ctype:
        raw = await request.body()
        try:
            items = _MANY.validate_json(raw)
        except ValidationError as e:
            errors = [{"loc": list(x["loc"]), "msg": x["msg"]} for x in e.errors(include_url=False)]
            raise InvalidRequest(json.dumps(errors)) from None
        items = items if isinstance(items, list) else [items]
        if not items:
            raise InvalidRequest("no documents given")
        if len(items) > MAX_DOCS_PER_REQUEST:
            raise InvalidRequest(f"at most {MAX_DOCS_PER_REQUEST} documents per request")
        parsed = _to_parsed(items)
    else:
        raise InvalidRequest(f"unsupported content type {ctype!r}: send application/json or multipart/form-data")
    report = await anyio.to_thread.run_sync(pipeline.ingest_parsed, parsed)
    body = _response(report)
    if report.failed == len(report.items):  # nothing stored: the request as a whole failed
        detail = [
            {"loc": ["body", i], "msg": f"{item.input}: {item.reason}", "type": "invalid_document"}
            for i, item in enumerate(report.items)
        ]
        return JSONResponse(
            {"error": "invalid_document", "detail": detail, "request_id": getattr(request.state, "request_id", None)},
            status_code=422,
        )
    return JSONResponse(body.model_dump(mode="json"), status_code=207 if report.failed else 200)


@router.get("/v1/documents", response_model=DocumentList, summary="List documents (paged)")
async def list_documents(
    pipeline: PipelineDep, limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0, le=10_000_000)
) -> DocumentList:
    def run() -> DocumentList:
        docs = pipeline.list_documents()
        page = docs[offset : offset + limit]
        return DocumentList(
            items=[d.model_dump(mode="json") for d in page], total=len(docs), limit=limit, offset=offset
        )

    return await anyio.to_thread.run_sync(run)


@router.get(
    "/v1/documents/{doc_id}",
    response_model=DocumentDetail,
    summary="One document with its text",
    responses={404: {"description": "No such document"}},
)
async def get_document(doc_id: str, pipeline: PipelineDep) -> DocumentDetail:
    return await anyio.to_thread.run_sync(pipeline.get_document, doc_id)


@router.delete(
    "/v1/documents/{doc_id}",
    response_model=DeleteResponse,
    summary="Delete a document and its chunks",
    responses={404: {"description": "No such document"}},
)
async def delete_document(doc_id: str, pipeline: PipelineDep, _: AdminDep) -> DeleteResponse:
    n = await anyio.to_thread.run_sync(pipeline.delete_document, doc_id)
    return DeleteResponse(deleted=doc_id, chunks=n)
