"""FastAPI dependencies of the assessment service."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.assessment.adapters.accounts import AccountRepository
from services.assessment.adapters.diagnostics import DiagnosticRepository
from services.assessment.adapters.idempotency import IdempotencyRepository
from services.assessment.adapters.models import ModelVersionRepository
from services.assessment.adapters.organisations import OrganisationRepository
from services.assessment.adapters.probes import ProbeRepository
from services.assessment.bootstrap import Dependencies
from services.assessment.service_layer.accounts import authenticate
from services.assessment.service_layer.diagnostics import Catalogue
from services.assessment.service_layer.organisations import Storage
from shared.auth import Principal
from shared.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(
    auto_error=False, description="An access token from /v1/oauth/token, or a respondent token."
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


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


def get_accounts(deps: Deps) -> AccountRepository:
    """Return the account repository."""
    return AccountRepository(deps.runtime.db)


Accounts = Annotated[AccountRepository, Depends(get_accounts)]


async def get_caller(deps: Deps, credentials: Credentials, accounts: Accounts) -> Principal:
    """Authenticate the caller's access token (or respondent token)."""
    if credentials is None:
        raise Unauthorized("A bearer token is required.")
    return await authenticate(credentials.credentials, verifier=deps.verifier, accounts=accounts)


Caller = Annotated[Principal, Depends(get_caller)]


def get_probes(deps: Deps) -> ProbeRepository:
    """Return the probe repository over the service database."""
    return ProbeRepository.in_database(deps.runtime.db)


Probes = Annotated[ProbeRepository, Depends(get_probes)]


def get_models(deps: Deps) -> ModelVersionRepository:
    """Return the model-version repository over the service database."""
    return ModelVersionRepository.in_database(deps.runtime.db)


Models = Annotated[ModelVersionRepository, Depends(get_models)]


def get_idempotency(deps: Deps) -> IdempotencyRepository:
    """Return the idempotency-key store."""
    return IdempotencyRepository(deps.runtime.db)


Idempotency = Annotated[IdempotencyRepository, Depends(get_idempotency)]


def get_storage(deps: Deps) -> Storage:
    """Return what the organisation and diagnostic use cases write to."""
    runtime = deps.runtime
    return Storage(
        client=runtime.client,
        organisations=OrganisationRepository(runtime.db),
        diagnostics=DiagnosticRepository(runtime.db),
        outbox=runtime.outbox,
        on_commit=runtime.events_committed,
    )


StorageDep = Annotated[Storage, Depends(get_storage)]


def get_catalogue(deps: Deps, models: Models) -> Catalogue:
    """Return where model versions come from."""
    return Catalogue(models=models, cache=deps.models)


CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
