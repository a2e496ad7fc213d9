"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.metrics import Metrics
from rag.pipeline import RagPipeline
from rag.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_pipeline(request: Request) -> RagPipeline:
    pipeline: RagPipeline = request.app.state.pipeline
    return pipeline


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_admin(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> None:
    """Document writes need an admin key when RAG_ADMIN_KEYS is set."""
    admins = settings.admin_key_set
    if not admins:
        return
    token = bearer(request)
    if token is None:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    if token not in admins:
        raise HTTPException(403, "this key may not add or delete documents (needs an admin key)")


SettingsDep = Annotated[Settings, Depends(get_settings)]
PipelineDep = Annotated[RagPipeline, Depends(get_pipeline)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
AdminDep = Annotated[None, Depends(require_admin)]
