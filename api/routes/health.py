from __future__ import annotations

import anyio
from fastapi import APIRouter, Response

from api.deps import MetricsDep, PipelineDep
from rag.errors import RagError

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The store and the embedder are loaded", responses={503: {"description": "Not ready"}})
async def readyz(pipeline: PipelineDep, response: Response) -> dict[str, object]:
    def check() -> dict[str, object]:
        pipeline.warm_up()
        return {"status": "ready", "documents": pipeline.count_documents()}

    try:
        return await anyio.to_thread.run_sync(check)
    except RagError as e:
        response.status_code = 503
        return {"status": "not_ready", "detail": str(e)}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(m: MetricsDep) -> Response:
    return Response(m.render(), media_type="text/plain; version=0.0.4")
