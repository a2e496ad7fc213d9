from __future__ import annotations

import time
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from api.chat_service import ChatService, offered_models_for
from api.deps import CollectionsDep, MetricsDep, SettingsDep
from api.schemas import ChatCompletionRequest

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
    req: ChatCompletionRequest,
    request: Request,
    collections: CollectionsDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> Any:
    service = ChatService(collections, settings, metrics, str(request.base_url))
    if not req.stream:
        return await anyio.to_thread.run_sync(service.completion, req)
    task = service.task(req)
    # A bad request is a 422 before the stream starts; the answer itself streams as it is made
    # (Starlette runs the sync iterator in a worker thread, one chunk at a time).
    asked = None if task is not None else await anyio.to_thread.run_sync(service.question_of, req)
    return StreamingResponse(
        service.chunks(req, asked, task),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
