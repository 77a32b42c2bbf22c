"""FastAPI dependencies of the assessment service."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from services.assessment.bootstrap import Dependencies
from services.assessment.service_layer.catalogue import ModelCache
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.errors import Forbidden, Unauthorized
from shared.http import Caller as Caller
from shared.http import Credentials


def get_dependencies(request: Request) -> Dependencies:
    """Return the app's composition root."""
    deps: Dependencies = request.app.state.deps
    return deps


Deps = Annotated[Dependencies, Depends(get_dependencies)]


def require_operator(deps: Deps, credentials: Credentials) -> None:
    """Let only the platform operator through (the admin token from settings)."""
    if credentials is None:
        raise Unauthorized("A bearer token is required.")
    expected = deps.settings.admin_token
    if expected is None:
        raise Forbidden("No operator token is configured on this platform.")
    if not hmac.compare_digest(credentials.credentials.encode(), expected.get_secret_value().encode()):
        raise Unauthorized("The bearer token is not valid.")


def get_unit_of_work(deps: Deps) -> AssessmentUnitOfWork:
    """Return a new unit of work for this request."""
    return deps.runtime.unit_of_work()


UoW = Annotated[AssessmentUnitOfWork, Depends(get_unit_of_work)]


def get_models(deps: Deps) -> ModelCache:
    """Return the process-wide cache of parsed model versions."""
    return deps.models


Models = Annotated[ModelCache, Depends(get_models)]
