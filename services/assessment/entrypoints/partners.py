"""HTTP routes of partners (operator), their keys, and the grants organisations give them (owners)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.assessment.domain.partners import Grant, Partner
from services.assessment.entrypoints.account_schemas import (
    ApiKeyCreate,
    ApiKeyList,
    ApiKeyView,
    IssuedKeyView,
    Name,
)
from services.assessment.entrypoints.dependencies import Caller, UoW, require_operator
from services.assessment.entrypoints.idempotency import IdempotencyKey, idempotent
from services.assessment.service_layer import accounts
from services.assessment.service_layer import partners as cases
from shared.events.contracts.assessment import GrantGiver, PartnerEventKind
from shared.http import problem_responses
from shared.mongo import utc_now

router = APIRouter(tags=["partners"])
_PROBLEM = problem_responses(401, 403, 404, 409, 422)
_OPERATOR = [Depends(require_operator)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartnerCreate(_Body):
    """A new partner and the kinds of events it may receive (each organisation still decides)."""

    name: Name
    event_kinds: list[PartnerEventKind] = Field(min_length=1, max_length=4)


class PartnerPatch(_Body):
    """What changes: the name, the kinds it may receive, or whether it is active (suspended: no feed)."""

    name: Name | None = None
    event_kinds: list[PartnerEventKind] | None = Field(None, min_length=1, max_length=4)
    active: bool | None = None


class PartnerView(BaseModel):
    """A partner."""

    partner_id: str
    name: str
    event_kinds: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def of(cls, partner: Partner) -> PartnerView:
        """Present a partner."""
        return cls(
            partner_id=partner.partner_id,
            name=partner.name,
            event_kinds=list(partner.event_kinds),
            active=partner.active,
            created_at=partner.created_at,
            updated_at=partner.updated_at,
        )


class PartnerList(BaseModel):
    """Partners, by name."""

    partners: list[PartnerView]


class GrantCreate(_Body):
    """An organisation's consent: a partner, the kinds of events (default: all it may receive), an expiry."""

    partner_id: str = Field(max_length=64)
    event_kinds: list[PartnerEventKind] | None = Field(None, min_length=1, max_length=4)
    expires_at: datetime | None = Field(None, description="With its time zone; none: until revoked.")
    backfill: bool = Field(False, description="Send the organisation's latest scorecard at once.")


class GrantView(BaseModel):
    """A grant with its consent evidence: who gave it and when, who ended it and when."""

    grant_id: str
    organisation_id: str
    partner_id: str
    event_kinds: list[str]
    status: str = Field(description="live, expired, revoked or erased")
    given_by: GrantGiver
    given_at: datetime
    expires_at: datetime | None
    backfill: bool
    revoked_by: GrantGiver | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, grant: Grant, *, at: datetime) -> GrantView:
        """Present a grant as it stands at `at`."""
        return cls(
            grant_id=grant.grant_id,
            organisation_id=grant.organisation_id,
            partner_id=grant.partner_id,
            event_kinds=list(grant.event_kinds),
            status=grant.status(at),
            given_by=grant.given_by,
            given_at=grant.given_at,
            expires_at=grant.expires_at,
            backfill=grant.backfill,
            revoked_by=grant.revoked_by,
            revoked_at=grant.revoked_at,
        )


class GrantList(BaseModel):
    """An organisation's grants, newest first, ended ones included."""

    grants: list[GrantView]


@router.post(
    "/v1/partners",
    status_code=201,
    response_model=PartnerView,
    responses=_PROBLEM,
    dependencies=_OPERATOR,
    operation_id="registerPartner",
)
async def register_partner(body: PartnerCreate, uow: UoW, key: IdempotencyKey = None) -> JSONResponse:
    """Register a partner (operator)."""

    async def action() -> PartnerView:
        return PartnerView.of(await cases.register_partner(body.name, list(body.event_kinds), uow=uow))

    return await idempotent(uow.idempotency, scope="operator:partners", key=key, payload=body, action=action)


@router.get(
    "/v1/partners",
    response_model=PartnerList,
    responses=_PROBLEM,
    dependencies=_OPERATOR,
    operation_id="listPartners",
)
async def list_partners(uow: UoW) -> PartnerList:
    """List every partner, suspended ones too (operator)."""
    return PartnerList(partners=[PartnerView.of(p) for p in await cases.partners(active_only=False, uow=uow)])


@router.get(
    "/v1/partners/{partner_id}",
    response_model=PartnerView,
    responses=_PROBLEM,
    dependencies=_OPERATOR,
    operation_id="getPartner",
)
async def get_partner(partner_id: str, uow: UoW) -> PartnerView:
    """Return a partner (operator)."""
    return PartnerView.of(await cases.get_partner(partner_id, uow=uow))


@router.patch(
    "/v1/partners/{partner_id}",
    response_model=PartnerView,
    responses=_PROBLEM,
    dependencies=_OPERATOR,
    operation_id="changePartner",
)
async def change_partner(partner_id: str, body: PartnerPatch, uow: UoW) -> PartnerView:
    """Rename a partner, change the kinds it may receive, suspend or resume it (operator)."""
    kinds = None if body.event_kinds is None else list(body.event_kinds)
    changed = await cases.change_partner(partner_id, name=body.name, kinds=kinds, active=body.active, uow=uow)
    return PartnerView.of(changed)


@router.post(
    "/v1/partners/{partner_id}/api-keys",
    status_code=201,
    response_model=IssuedKeyView,
    responses=_PROBLEM,
    dependencies=_OPERATOR,
    operation_id="createPartnerApiKey",
)
async def create_partner_key(
    partner_id: str, body: ApiKeyCreate, uow: UoW, key: IdempotencyKey = None
) -> JSONResponse:
    """Give a partner client credentials with partner scopes (operator); the secret is shown once."""

    async def action() -> IssuedKeyView:
        issued = await cases.create_partner_key(partner_id, body.name, body.scopes, uow=uow)
        return IssuedKeyView(**ApiKeyView.of(issued.key).model_dump(), client_secret=issued.client_secret)

    return await idempotent(
        uow.idempotency,
        scope=f"operator:partner-keys:{partner_id}",
        key=key,
        payload=body,
        action=action,
        holds_secret=True,
    )


@router.get(
    "/v1/partners/{partner_id}/api-keys",
    response_model=ApiKeyList,
    responses=_PROBLEM,
    dependencies=_OPERATOR,
    operation_id="listPartnerApiKeys",
)
async def list_partner_keys(partner_id: str, uow: UoW) -> ApiKeyList:
    """List a partner's keys (operator)."""
    return ApiKeyList(keys=[ApiKeyView.of(k) for k in await cases.partner_keys(partner_id, uow=uow)])


@router.delete(
    "/v1/partners/{partner_id}/api-keys/{client_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_PROBLEM,
    dependencies=_OPERATOR,
    operation_id="revokePartnerApiKey",
)
async def revoke_partner_key(partner_id: str, client_id: str, uow: UoW) -> None:
    """Revoke a partner's key (operator); the tokens it obtained stop working on every service."""
    await accounts.revoke_api_key(partner_id, client_id, uow=uow)


@router.get(
    "/v1/partner-directory",
    response_model=PartnerList,
    responses=_PROBLEM,
    operation_id="listGrantablePartners",
)
async def partner_directory(caller: Caller, uow: UoW) -> PartnerList:
    """The active partners an organisation may grant access to, with the kinds each may receive."""
    caller.require("organisations:read")
    return PartnerList(partners=[PartnerView.of(p) for p in await cases.partners(active_only=True, uow=uow)])


_GRANTS = "/v1/organisations/{organisation_id}/partner-grants"


@router.post(
    _GRANTS, status_code=201, response_model=GrantView, responses=_PROBLEM, operation_id="givePartnerGrant"
)
async def give_grant(
    organisation_id: str, body: GrantCreate, caller: Caller, uow: UoW, key: IdempotencyKey = None
) -> JSONResponse:
    """Let a partner receive the organisation's events of some kinds, until revoked or expired."""

    async def action() -> GrantView:
        kinds = None if body.event_kinds is None else list(body.event_kinds)
        grant = await cases.give_grant(
            caller,
            organisation_id,
            partner_id=body.partner_id,
            kinds=kinds,
            expires_at=body.expires_at,
            backfill=body.backfill,
            uow=uow,
        )
        return GrantView.of(grant, at=utc_now())

    return await idempotent(
        uow.idempotency, scope=f"{caller.account_id}:grants", key=key, payload=body, action=action
    )


@router.get(_GRANTS, response_model=GrantList, responses=_PROBLEM, operation_id="listPartnerGrants")
async def list_grants(
    organisation_id: str,
    caller: Caller,
    uow: UoW,
    status_: Annotated[str | None, Query(alias="status", pattern="^(live|expired|revoked|erased)$")] = None,
) -> GrantList:
    """The organisation's grants, newest first, ended ones included (the record of its consents)."""
    at = utc_now()
    views = [GrantView.of(g, at=at) for g in await cases.grants(caller, organisation_id, uow=uow)]
    return GrantList(grants=[v for v in views if status_ is None or v.status == status_])


@router.delete(
    _GRANTS + "/{grant_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_PROBLEM,
    operation_id="revokePartnerGrant",
)
async def revoke_grant(organisation_id: str, grant_id: str, caller: Caller, uow: UoW) -> None:
    """Revoke a grant: the partner receives none of the organisation's later events (sent ones stay sent)."""
    await cases.revoke_grant(caller, organisation_id, grant_id, uow=uow)
