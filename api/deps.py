"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from api.metrics import Metrics
from rag.pipeline import RagPipeline
from rag.settings import Settings
from rag.store.collections import CollectionManager


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_collections(request: Request) -> CollectionManager:
    collections: CollectionManager = request.app.state.collections
    return collections


def get_pipeline(
    request: Request,
    collection: Annotated[
        str | None,
        Query(
            max_length=63,
            pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
            description="The archive to use (default: the default collection).",
        ),
    ] = None,
) -> RagPipeline:
    """Sync on purpose: FastAPI runs it in a worker thread, since finding a collection reads the store."""
    return get_collections(request).get(collection)


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
PipelineDep = Annotated[RagPipeline, Depends(get_pipeline)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
CollectionsDep = Annotated[CollectionManager, Depends(get_collections)]
