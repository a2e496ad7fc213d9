from __future__ import annotations

import anyio
from fastapi import APIRouter, Depends, Request, Response

from api.deps import MetricsDep, PipelineDep
from api.security import require_reader
from rag.errors import RagError
from rag.pipeline import RagPipeline

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    summary="The process is alive; `store` and `index` say what last failed (the same for every collection)",
)
async def healthz(request: Request) -> dict[str, str]:
    """Answered on the event loop from what the process already knows. It has no dependency that
    FastAPI would run in a worker thread (they may all be stuck behind a hung store) and reads
    nothing from the store. It needs no key, so it takes no collection: whether one exists is told
    only to a caller with a key (`/readyz?collection=`)."""
    pipeline: RagPipeline = request.app.state.pipeline
    store, index = pipeline.store_problem(), pipeline.index_problem()
    return {"status": "degraded" if store or index else "ok", "store": store or "ok", "index": index or "ok"}


@router.get(
    "/readyz",
    summary="The store and the embedder are loaded, and this node can keep its index up to date",
    responses={503: {"description": "Not ready"}},
    dependencies=[Depends(require_reader)],
)
async def readyz(pipeline: PipelineDep, response: Response) -> dict[str, object]:
    def check() -> dict[str, object]:
        pipeline.warm_up()
        pipeline.lexical_manager.check_writable()  # a node that cannot index writes falls behind
        return {"status": "ready", "documents": pipeline.count_documents()}

    try:
        return await anyio.to_thread.run_sync(check)
    except RagError as e:
        response.status_code = 503
        return {"status": "not_ready", "detail": str(e)}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response, dependencies=[Depends(require_reader)])
async def metrics(m: MetricsDep) -> Response:
    return Response(m.render(), media_type="text/plain; version=0.0.4")
