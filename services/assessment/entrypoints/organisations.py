"""HTTP routes of organisations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from services.assessment.entrypoints.account_schemas import (
    OrganisationCreate,
    OrganisationPage,
    OrganisationPatch,
    OrganisationView,
)
from services.assessment.entrypoints.dependencies import Caller, Models, UoW
from services.assessment.entrypoints.idempotency import IdempotencyKey, idempotent
from services.assessment.service_layer import catalogue
from services.assessment.service_layer import organisations as cases
from shared.http import problem_responses

router = APIRouter(prefix="/v1/organisations", tags=["organisations"])
_PROBLEM = problem_responses(401, 403, 404, 422)
DEFAULT_MODEL = "dimm"


async def _sectors(uow: UoW, models: Models) -> set[str]:
    """Return the sector vocabulary of the default model's latest version."""
    return await catalogue.sectors(DEFAULT_MODEL, uow=uow, cache=models)


@router.post(
    "",
    status_code=201,
    response_model=OrganisationView,
    responses=_PROBLEM,
    operation_id="registerOrganisation",
)
async def register(
    body: OrganisationCreate,
    caller: Caller,
    uow: UoW,
    models: Models,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Register an organisation of the calling account."""
    caller.require("organisations:write")

    async def action() -> OrganisationView:
        sectors = await _sectors(uow, models)
        org = await cases.register(caller.account_id, body.model_dump(), sectors=sectors, uow=uow)
        return OrganisationView.of(org)

    return await idempotent(
        uow.idempotency, scope=f"{caller.account_id}:organisations", key=key, payload=body, action=action
    )


@router.get("", response_model=OrganisationPage, responses=_PROBLEM, operation_id="listOrganisations")
async def list_organisations(
    caller: Caller,
    uow: UoW,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OrganisationPage:
    """List the calling account's organisations, a page at a time."""
    caller.require("organisations:read")
    items, next_cursor = await cases.page(caller.account_id, cursor=cursor, limit=limit, uow=uow)
    return OrganisationPage(items=[OrganisationView.of(o) for o in items], next_cursor=next_cursor)


@router.get(
    "/{organisation_id}", response_model=OrganisationView, responses=_PROBLEM, operation_id="getOrganisation"
)
async def get_organisation(organisation_id: str, caller: Caller, uow: UoW) -> OrganisationView:
    """Return one of the calling account's organisations."""
    caller.require("organisations:read")
    return OrganisationView.of(await cases.get(caller.account_id, organisation_id, uow=uow))


@router.patch(
    "/{organisation_id}",
    response_model=OrganisationView,
    responses=_PROBLEM,
    operation_id="updateOrganisation",
)
async def update_organisation(
    organisation_id: str, body: OrganisationPatch, caller: Caller, uow: UoW, models: Models
) -> OrganisationView:
    """Change some fields of an organisation."""
    caller.require("organisations:write")
    # An explicit null clears the SIREN; it means "unchanged" for every other field.
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None or k == "siren"}
    sectors = await _sectors(uow, models)
    org = await cases.update(caller.account_id, organisation_id, changes, sectors=sectors, uow=uow)
    return OrganisationView.of(org)


@router.delete(
    "/{organisation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_PROBLEM,
    operation_id="eraseOrganisation",
)
async def erase_organisation(organisation_id: str, caller: Caller, uow: UoW) -> None:
    """Erase an organisation and all its data (right to erasure); other services are told to forget it."""
    caller.require("organisations:write")
    await cases.erase(caller.account_id, organisation_id, uow=uow)
