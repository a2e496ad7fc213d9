from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.chat_service import ChatService, offered_models_for
from api.deps import CollectionsDep, MetricsDep, SettingsDep
from api.schemas import ChatCompletionRequest
from rag.errors import RagError

router = APIRouter(tags=["openai-compatible"])


@router.get("/v1/models", summary="Models: one per collection and answerer ('newsrag-world')")
async def models(settings: SettingsDep, collections: CollectionsDep) -> dict[str, Any]:
    now = int(time.time())
    names = await anyio.to_thread.run_sync(collections.names)
    offered = offered_models_for(settings, names)
    return {
        "object": "list",
        "data": [{"id": m, "object": "model", "created": now, "owned_by": "newsrag"} for m in offered],
    }


@router.post(
    "/v1/chat/completions",
    summary="OpenAI-compatible chat completions (stream and non-stream)",
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def chat_completions(
    req: ChatCompletionRequest, collections: CollectionsDep, settings: SettingsDep, metrics: MetricsDep
) -> Any:
    service = ChatService(collections, settings)
    if not req.stream:
        resp = await anyio.to_thread.run_sync(service.answer, req)
        metrics.answers.labels(resp.answerer, str(resp.abstained).lower()).inc()
        return service.completion(req, resp)

    async def stream() -> AsyncIterator[str]:
        try:
            resp = await anyio.to_thread.run_sync(service.answer, req)
        except RagError as e:
            yield f"data: {json.dumps({'error': {'message': str(e), 'type': e.code}})}\n\n"
            yield "data: [DONE]\n\n"
            return
        metrics.answers.labels(resp.answerer, str(resp.abstained).lower()).inc()
        for piece in service.chunks(req, resp):
            yield piece

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
