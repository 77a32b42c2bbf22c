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
from services.assessment.entrypoints.dependencies import Caller, CatalogueDep, Idempotency, StorageDep
from services.assessment.entrypoints.idempotency import IdempotencyKey, idempotent
from services.assessment.service_layer import catalogue
from services.assessment.service_layer import organisations as cases
from services.assessment.service_layer.diagnostics import Catalogue
from shared.http import problem_responses

router = APIRouter(prefix="/v1/organisations", tags=["organisations"])
_PROBLEM = problem_responses(401, 403, 404, 422)
DEFAULT_MODEL = "dimm"


async def _sectors(models: Catalogue) -> set[str]:
    """Return the sector vocabulary of the default model's latest version."""
    _, model = await catalogue.get_model(
        DEFAULT_MODEL, catalogue.LATEST, repo=models.models, cache=models.cache
    )
    return {sector.code for sector in model.sectors}


@router.post("", status_code=201, response_model=OrganisationView, responses=_PROBLEM)
async def register(
    body: OrganisationCreate,
    caller: Caller,
    storage: StorageDep,
    models: CatalogueDep,
    idem: Idempotency,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Register an organisation of the calling account."""
    caller.require("organisations:write")

    async def action() -> OrganisationView:
        org = await cases.register(
            caller.account_id, body.model_dump(), sectors=await _sectors(models), storage=storage
        )
        return OrganisationView.of(org)

    return await idempotent(
        idem, scope=f"{caller.account_id}:organisations", key=key, payload=body, action=action
    )


@router.get("", response_model=OrganisationPage, responses=_PROBLEM)
async def list_organisations(
    caller: Caller,
    storage: StorageDep,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OrganisationPage:
    """List the calling account's organisations, a page at a time."""
    caller.require("organisations:read")
    items, next_cursor = await cases.page(
        caller.account_id, cursor=cursor, limit=limit, organisations=storage.organisations
    )
    return OrganisationPage(items=[OrganisationView.of(o) for o in items], next_cursor=next_cursor)


@router.get("/{organisation_id}", response_model=OrganisationView, responses=_PROBLEM)
async def get_organisation(organisation_id: str, caller: Caller, storage: StorageDep) -> OrganisationView:
    """Return one of the calling account's organisations."""
    caller.require("organisations:read")
    return OrganisationView.of(
        await cases.get(caller.account_id, organisation_id, organisations=storage.organisations)
    )


@router.patch("/{organisation_id}", response_model=OrganisationView, responses=_PROBLEM)
async def update_organisation(
    organisation_id: str, body: OrganisationPatch, caller: Caller, storage: StorageDep, models: CatalogueDep
) -> OrganisationView:
    """Change some fields of an organisation."""
    caller.require("organisations:write")
    # An explicit null clears the SIREN; it means "unchanged" for every other field.
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None or k == "siren"}
    org = await cases.update(
        caller.account_id, organisation_id, changes, sectors=await _sectors(models), storage=storage
    )
    return OrganisationView.of(org)


@router.delete("/{organisation_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEM)
async def erase_organisation(organisation_id: str, caller: Caller, storage: StorageDep) -> None:
    """Erase an organisation and all its data (right to erasure); other services are told to forget it."""
    caller.require("organisations:write")
    await cases.erase(caller.account_id, organisation_id, storage=storage)
