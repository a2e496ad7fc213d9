"""API keys, as FastAPI security dependencies (so OpenAPI publishes the bearer scheme).

Readers: every route but /healthz needs a key from RAG_API_KEYS (or an admin key) when
RAG_API_KEYS is set. Writers: document writes and deletes need a key from RAG_ADMIN_KEYS when
that is set.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import SettingsDep

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def require_reader(credentials: Credentials, settings: SettingsDep) -> None:
    if not settings.api_key_set:
        return
    if credentials is None or credentials.credentials not in settings.api_key_set | settings.admin_key_set:
        raise _unauthorized("missing or invalid API key: send 'Authorization: Bearer <key>'")


def require_admin(credentials: Credentials, settings: SettingsDep) -> None:
    admins = settings.admin_key_set
    if not admins:
        return
    if credentials is None:
        raise _unauthorized("missing bearer token")
    if credentials.credentials not in admins:
        raise HTTPException(403, "this key may not add or delete documents (needs an admin key)")


ReaderDep = Annotated[None, Depends(require_reader)]
AdminDep = Annotated[None, Depends(require_admin)]
