"""FastAPI dependencies of the assessment service."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.assessment.adapters.models import ModelVersionRepository
from services.assessment.adapters.probes import ProbeRepository
from services.assessment.bootstrap import Dependencies
from shared.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(auto_error=False)


def get_dependencies(request: Request) -> Dependencies:
    """Return the app's composition root."""
    deps: Dependencies = request.app.state.deps
    return deps


Deps = Annotated[Dependencies, Depends(get_dependencies)]


def require_operator(
    deps: Deps, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Let only the platform operator through (the admin token from settings)."""
    if credentials is None:
        raise Unauthorized("A bearer token is required.")
    expected = deps.settings.admin_token
    if expected is None:
        raise Forbidden("No operator token is configured on this platform.")
    if not hmac.compare_digest(credentials.credentials.encode(), expected.get_secret_value().encode()):
        raise Unauthorized("The bearer token is not valid.")


def get_probes(deps: Deps) -> ProbeRepository:
    """Return the probe repository over the service database."""
    return ProbeRepository.in_database(deps.runtime.db)


Probes = Annotated[ProbeRepository, Depends(get_probes)]


def get_models(deps: Deps) -> ModelVersionRepository:
    """Return the model-version repository over the service database."""
    return ModelVersionRepository.in_database(deps.runtime.db)


Models = Annotated[ModelVersionRepository, Depends(get_models)]
