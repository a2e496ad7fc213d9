from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from api.deps import PipelineDep, SettingsDep
from api.schemas import NOT_BLANK, DeleteResponse, DocumentIn, DocumentList, IngestResponse, OutletList
from api.security import AdminDep
from rag.errors import InvalidRequest
from rag.ingest.ingester import Ingester, Parsed
from rag.models import DocumentDetail, IngestReport
from rag.pipeline import RagPipeline
from rag.settings import Settings

router = APIRouter(tags=["documents"])
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


_ONE = TypeAdapter(DocumentIn)


def _json_records(raw: bytes) -> list[Parsed]:
    """A JSON body: one document or a list. Each record is checked against the published
    `DocumentIn` contract on its own, so one bad record is a listed failure, not a lost batch."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise InvalidRequest(f"body is not valid JSON: {e}", loc=["body"]) from None
    records = data if isinstance(data, list) else [data]
    if not records:
        raise InvalidRequest("no documents given", loc=["body"])
    if len(records) > MAX_DOCS_PER_REQUEST:
        raise InvalidRequest(f"at most {MAX_DOCS_PER_REQUEST} documents per request", loc=["body"])
    parsed: list[Parsed] = []
    for i, record in enumerate(records):
        where = f"document[{i}]"
        try:
            item = _ONE.validate_python(record)
        except ValidationError as e:
            first = e.errors(include_url=False)[0]
            field = ".".join(str(x) for x in first["loc"]) or "document"
            parsed.append(Parsed(where, error=f"field '{field}': {first['msg']}"))
            continue
        parsed += Ingester.parse_records([item.model_dump(mode="json", exclude_none=True)], "document")
        parsed[-1].input = where
    if not isinstance(data, list) and parsed[0].error:  # a single document: a plain 422
        raise InvalidRequest(parsed[0].error, loc=["body"])
    return parsed


async def _unless_client_leaves(
    request: Request, work: Callable[[threading.Event], list[Parsed]]
) -> list[Parsed] | None:
    """`work` in a worker thread, or None once the client disconnects: parsing a large upload
    must not go on for minutes after its client left. `work` is told through the event and stops
    at its next input; the thread is abandoned (an input under way finishes, within its budget)."""
    left = threading.Event()
    result: list[Parsed] | None = None
    async with anyio.create_task_group() as tg:

        async def watch() -> None:
            while not await request.is_disconnected():
                await anyio.sleep(0.25)
            left.set()
            tg.cancel_scope.cancel()

        tg.start_soon(watch)
        result = await anyio.to_thread.run_sync(work, left, abandon_on_cancel=True)
        tg.cancel_scope.cancel()
    return None if left.is_set() else result


async def _multipart(request: Request, settings: Settings, pipeline: RagPipeline) -> list[Parsed] | None:
    try:
        form = await request.form(max_files=MAX_DOCS_PER_REQUEST, max_part_size=settings.max_upload_bytes)
    except Exception as e:  # malformed multipart bodies raise several types
        raise InvalidRequest(f"malformed multipart body: {e}", loc=["body"]) from None
    unknown = sorted({k for k, _ in form.multi_items() if k != "files"})
    if unknown:
        raise InvalidRequest(
            f"unknown multipart field(s) {', '.join(map(repr, unknown))}: send files as 'files'", loc=["body"]
        )
    uploads = form.getlist("files")
    if not uploads:
        raise InvalidRequest("multipart upload needs at least one file in the 'files' field", loc=["body", "files"])
    parts: list[tuple[bytes, str | None, str]] = []
    for i, f in enumerate(uploads):
        if isinstance(f, str):  # a text part without a filename is a document too
            parts.append((f.encode("utf-8", "surrogatepass"), None, f"files[{i}]"))
        else:
            parts.append((await f.read(), f.filename or None, f.filename or f"files[{i}]"))

    def parse(left: threading.Event) -> list[Parsed]:  # parsing (HTML above all) is CPU work: never on the event loop
        out: list[Parsed] = []
        for raw, name, display in parts:
            if left.is_set():
                break
            out += pipeline.ingester.parse_upload(raw, name, display=display, path=name)
        return out

    return await _unless_client_leaves(request, parse)


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
    if ctype.startswith("multipart/form-data"):
        parsed = await _multipart(request, settings, pipeline)
        if parsed is None:  # the client left while its upload was parsed: nothing is written
            return JSONResponse({"error": "client_closed_request", "detail": None}, status_code=499)
    elif ctype.startswith("application/json") or not ctype:
        raw = await request.body()
        parsed = await anyio.to_thread.run_sync(_json_records, raw)
    else:
        raise InvalidRequest(
            f"unsupported content type {ctype!r}: send application/json or multipart/form-data", loc=["header"]
        )
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


@router.get("/v1/outlets", response_model=OutletList, summary="The outlets the archive holds (for filters)")
async def list_outlets(pipeline: PipelineDep) -> OutletList:
    return OutletList(outlets=await anyio.to_thread.run_sync(pipeline.outlets))


@router.get("/v1/documents", response_model=DocumentList, summary="List documents (paged)")
async def list_documents(
    pipeline: PipelineDep, limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0, le=10_000_000)
) -> DocumentList:
    def run() -> DocumentList:
        page, total = pipeline.document_page(limit, offset)
        return DocumentList(items=[d.model_dump(mode="json") for d in page], total=total, limit=limit, offset=offset)

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
