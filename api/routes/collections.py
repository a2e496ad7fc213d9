"""Archives (collections): list for readers; create and delete for admins."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CollectionsDep
from api.security import AdminDep

router = APIRouter(tags=["collections"])
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class CollectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(pattern=NAME_PATTERN, description="Lower-case letters, digits, '_' and '-'.")


class CollectionList(BaseModel):
    collections: list[str]
    default: str


class CollectionOut(BaseModel):
    name: str
    created: bool


@router.get("/v1/collections", response_model=CollectionList, summary="The archives this service holds")
async def list_collections(collections: CollectionsDep) -> CollectionList:
    names = await anyio.to_thread.run_sync(collections.names)
    return CollectionList(collections=names, default=collections.settings.collection)


@router.post(
    "/v1/collections",
    response_model=CollectionOut,
    status_code=201,
    summary="Create an archive (200 when it exists already)",
    responses={
        200: {"model": CollectionOut, "description": "It existed already"},
        409: {"description": "A reserved name (ending in -extractive or -openai)"},
    },
)
async def create_collection(body: CollectionIn, collections: CollectionsDep, _: AdminDep) -> JSONResponse:
    created = await anyio.to_thread.run_sync(collections.create, body.name)
    return JSONResponse(
        CollectionOut(name=body.name, created=created).model_dump(), status_code=201 if created else 200
    )


@router.delete(
    "/v1/collections/{name}",
    response_model=CollectionOut,
    summary="Delete an archive with all its documents",
    responses={404: {"description": "No such collection"}, 409: {"description": "The default collection"}},
)
async def delete_collection(
    name: Annotated[str, PathParam(max_length=63, pattern=NAME_PATTERN)], collections: CollectionsDep, _: AdminDep
) -> CollectionOut:
    await anyio.to_thread.run_sync(collections.delete, name)
    return CollectionOut(name=name, created=False)
