from __future__ import annotations

import time

import anyio
from fastapi import APIRouter

from api.deps import PipelineDep, SettingsDep
from api.routes.ask import check_limits
from api.schemas import SearchRequest, SearchResponse
from rag.models import Timings

router = APIRouter(tags=["search"])


@router.post("/v1/search", response_model=SearchResponse, summary="Ranked passages (retrieval only)")
async def search_route(body: SearchRequest, pipeline: PipelineDep, settings: SettingsDep) -> SearchResponse:
    check_limits(settings, body.query, body.top_k, field="query")
    started = time.perf_counter()
    result = await anyio.to_thread.run_sync(pipeline.search, body.query, body.top_k, body.filters, body.as_of)
    ms = round((time.perf_counter() - started) * 1000, 2)
    return SearchResponse(
        passages=result.passages, as_of=result.as_of, time_window=result.time_window, timings=Timings(retrieve_ms=ms)
    )
