from __future__ import annotations

import anyio
from fastapi import APIRouter, Depends, Response

from api.deps import MetricsDep, PipelineDep
from api.security import require_reader
from rag.errors import RagError

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive; `store` says whether the last store call failed")
async def healthz(pipeline: PipelineDep) -> dict[str, str]:
    """Never touches the store (it must answer at once while the store hangs): it reports the
    outcome of the most recent store call instead."""
    problem = pipeline.store_problem()
    return {"status": "degraded", "store": problem} if problem else {"status": "ok", "store": "ok"}


@router.get(
    "/readyz",
    summary="The store and the embedder are loaded",
    responses={503: {"description": "Not ready"}},
    dependencies=[Depends(require_reader)],
)
async def readyz(pipeline: PipelineDep, response: Response) -> dict[str, object]:
    def check() -> dict[str, object]:
        pipeline.warm_up()
        return {"status": "ready", "documents": pipeline.count_documents()}

    try:
        return await anyio.to_thread.run_sync(check)
    except RagError as e:
        response.status_code = 503
        return {"status": "not_ready", "detail": str(e)}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response, dependencies=[Depends(require_reader)])
async def metrics(m: MetricsDep) -> Response:
    return Response(m.render(), media_type="text/plain; version=0.0.4")
