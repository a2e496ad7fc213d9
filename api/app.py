"""create_app(settings) -> FastAPI: middleware, routers, and a lifespan that loads models once."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import errors, openapi
from api.metrics import Metrics
from api.middleware import ServiceMiddleware
from api.routes import ask, collections, documents, health, openai_compat, playground, search
from api.security import require_reader
from rag import __version__
from rag.errors import RagError
from rag.pipeline import RagPipeline
from rag.settings import Settings
from rag.store.collections import CollectionManager

log = logging.getLogger("api")


def create_app(settings: Settings, pipeline: RagPipeline | None = None) -> FastAPI:
    pipeline = pipeline or RagPipeline(settings)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await anyio.to_thread.run_sync(pipeline.warm_up)
        except RagError as e:  # the store may come up later; /readyz tells
            log.warning("started without a ready store: %s", e)
        # The openai SDK (the chat routes' wire types) takes seconds to import and asking does not
        # need it: it loads beside the serving process instead of delaying the start.
        threading.Thread(target=importlib.import_module, args=("openai.types.chat",), daemon=True).start()
        yield

    app = FastAPI(
        title="newsrag",
        version=__version__,
        description="Question answering over news archives with cited, verified answers.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.pipeline = pipeline
    app.state.collections = CollectionManager(pipeline)
    app.state.metrics = metrics
    errors.install(app)
    openapi.install(app, settings)
    app.include_router(health.router)  # /healthz is open; /readyz and /metrics guard themselves
    app.include_router(playground.router)  # the page is open; its API calls carry the key
    app.mount("/static", playground.static_files, name="static")
    for module in (ask, search, documents, collections, openai_compat):
        app.include_router(module.router, dependencies=[Depends(require_reader)])
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(ServiceMiddleware, settings=settings, metrics=metrics)
    return app


def create_app_from_env() -> FastAPI:
    """uvicorn factory: `uvicorn --factory api.app:create_app_from_env`."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return create_app(Settings())
