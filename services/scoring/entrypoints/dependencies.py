"""FastAPI dependencies of the scoring service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.scoring.adapters.store import ModelStore, ScorecardStore
from services.scoring.bootstrap import Dependencies
from shared.auth import Principal
from shared.errors import Unauthorized

_bearer = HTTPBearer(auto_error=False, description="An access token from the assessment service.")


def get_dependencies(request: Request) -> Dependencies:
    """Return the app's composition root."""
    deps: Dependencies = request.app.state.deps
    return deps


Deps = Annotated[Dependencies, Depends(get_dependencies)]


async def get_caller(
    deps: Deps, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """Verify the caller's token, and refuse it if its API key was revoked."""
    if credentials is None:
        raise Unauthorized("A bearer token is required.")
    principal = deps.verifier.verify(credentials.credentials)
    if principal.client_id and await deps.runtime.db["revoked_keys"].find_one({"_id": principal.client_id}):
        raise Unauthorized("The API key behind this token has been revoked.")
    return principal


Caller = Annotated[Principal, Depends(get_caller)]


async def get_reader(
    deps: Deps,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    access_token: Annotated[
        str | None, Query(max_length=4096, description="For a browser: the token in the URL.")
    ] = None,
) -> Principal:
    """Like the bearer token, but a browser opening the report may pass it in the URL (RFC 6750 §2.3)."""
    if credentials is None and access_token:
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=access_token)
    return await get_caller(deps, credentials)


Reader = Annotated[Principal, Depends(get_reader)]


def get_scorecards(deps: Deps) -> ScorecardStore:
    """Return the scorecard store."""
    return ScorecardStore(deps.runtime.db)


Scorecards = Annotated[ScorecardStore, Depends(get_scorecards)]


def get_models(deps: Deps) -> ModelStore:
    """Return the model store."""
    return ModelStore(deps.runtime.db, deps.models)


Models = Annotated[ModelStore, Depends(get_models)]
