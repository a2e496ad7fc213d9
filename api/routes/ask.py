from __future__ import annotations

import logging
from collections.abc import Iterator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from api.deps import MetricsDep, PipelineDep, SettingsDep
from api.schemas import AskRequest
from api.sse import event
from rag.answer.render import AnswerParts
from rag.errors import InvalidRequest, RagError
from rag.models import AskResponse
from rag.settings import Settings

router = APIRouter(tags=["ask"])
log = logging.getLogger("newsrag.ask")


def check_limits(settings: Settings, question: str, top_k: int | None, field: str = "question") -> None:
    if len(question) > settings.max_question_chars:
        raise InvalidRequest(
            f"{field} is {len(question)} characters; the limit is {settings.max_question_chars}", loc=["body", field]
        )
    if top_k is not None and top_k > settings.max_top_k:
        raise InvalidRequest(f"top_k is {top_k}; the limit is {settings.max_top_k}", loc=["body", "top_k"])
    if not question.strip():
        raise InvalidRequest(f"{field} must not be blank", loc=["body", field])


@router.post(
    "/v1/ask",
    response_model=AskResponse,
    summary="Answer a question with citations (JSON, or SSE with stream=true)",
    responses={200: {"content": {"text/event-stream": {}}}, 503: {"description": "Store unavailable"}},
)
async def ask_route(
    body: AskRequest, request: Request, pipeline: PipelineDep, settings: SettingsDep, metrics: MetricsDep
) -> AskResponse | StreamingResponse:
    check_limits(settings, body.question, body.top_k)
    wants_sse = body.stream or "text/event-stream" in request.headers.get("accept", "")

    def run() -> AskResponse:
        return pipeline.ask(
            body.question, top_k=body.top_k, filters=body.filters, answerer=body.answerer, as_of=body.as_of
        )

    if not wants_sse:
        resp = await anyio.to_thread.run_sync(run)
        metrics.answers.labels(resp.answerer, str(resp.abstained).lower()).inc()
        return resp

    def stream() -> Iterator[str]:
        """Each sentence as it is made: a `citations` event with the citations it numbers first,
        then its `delta`; `done` with the whole response. Starlette runs this in a worker thread."""
        parts = AnswerParts(
            pipeline.ask_stream(
                body.question, top_k=body.top_k, filters=body.filters, answerer=body.answerer, as_of=body.as_of
            )
        )
        first = True
        try:
            for part in parts:
                if part.new_citations or first:
                    yield event("citations", [c.model_dump(mode="json") for c in part.new_citations])
                yield event("delta", {"text": ("" if first else " ") + part.text})
                first = False
        except RagError as e:
            yield event("error", {"error": e.code, "detail": str(e)})
            return
        except Exception:
            log.exception("answer stream failed")
            yield event("error", {"error": "internal_error", "detail": "unexpected server error"})
            return
        resp = parts.response
        metrics.answers.labels(resp.answerer, str(resp.abstained).lower()).inc()
        yield event("done", resp.model_dump(mode="json"))

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
