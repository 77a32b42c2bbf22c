"""Use cases of partners (the operator's) and of the grants organisations give them (their owners')."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from services.assessment.domain.accounts import ApiKey, hash_secret, new_credentials
from services.assessment.domain.partners import PARTNER_ID_PREFIX, Grant, Partner, partner_key_scopes
from services.assessment.service_layer import organisations
from services.assessment.service_layer.accounts import IssuedKey
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.auth import Principal
from shared.errors import NotFound
from shared.events.contracts.assessment import GrantGiver
from shared.mongo import utc_now
from shared.unit_of_work import transactional


@transactional
async def register_partner(name: str, kinds: Sequence[str], *, uow: AssessmentUnitOfWork) -> Partner:
    """Register a partner and announce it (operator)."""
    partner = Partner.register(PARTNER_ID_PREFIX + uuid.uuid4().hex[:16], name, kinds, at=utc_now())
    async with uow:
        await uow.partners.add(partner)
        uow.collect(partner)
        await uow.commit()
    return partner


async def get_partner(partner_id: str, *, uow: AssessmentUnitOfWork) -> Partner:
    """Return a partner, or raise NotFound."""
    partner = await uow.partners.get(partner_id)
    if partner is None:
        raise NotFound(f"No partner {partner_id!r}.")
    return partner


async def partners(*, active_only: bool, uow: AssessmentUnitOfWork) -> list[Partner]:
    """List the partners (the active ones only, for organisations choosing whom to grant)."""
    return await uow.partners.listed(active_only=active_only)


@transactional
async def change_partner(
    partner_id: str,
    *,
    name: str | None,
    kinds: Sequence[str] | None,
    active: bool | None,
    uow: AssessmentUnitOfWork,
) -> Partner:
    """Rename a partner, change what it may receive, suspend or resume it, and announce the change."""
    async with uow:
        partner = await get_partner(partner_id, uow=uow)
        if partner.change(at=utc_now(), name=name, kinds=kinds, active=active):
            await uow.partners.save(partner)
            uow.collect(partner)
        await uow.commit()
    return partner


async def create_partner_key(
    partner_id: str, name: str, scopes: list[str] | None, *, uow: AssessmentUnitOfWork
) -> IssuedKey:
    """Give a partner client credentials with partner scopes (operator); the secret is shown once."""
    await get_partner(partner_id, uow=uow)
    wanted = partner_key_scopes(scopes)
    client_id, secret = new_credentials()
    key = ApiKey(client_id, partner_id, name, wanted, hash_secret(secret), utc_now())
    await uow.accounts.add_key(key)
    return IssuedKey(key, secret)


async def partner_keys(partner_id: str, *, uow: AssessmentUnitOfWork) -> list[ApiKey]:
    """List a partner's keys (operator)."""
    await get_partner(partner_id, uow=uow)
    return await uow.accounts.keys(partner_id)


def _giver(principal: Principal) -> GrantGiver:
    return GrantGiver(account_id=principal.account_id, client_id=principal.client_id)


@transactional
async def give_grant(
    principal: Principal,
    organisation_id: str,
    *,
    partner_id: str,
    kinds: Sequence[str] | None,
    expires_at: datetime | None,
    backfill: bool,
    uow: AssessmentUnitOfWork,
) -> Grant:
    """Let a partner receive some kinds of an organisation's events, recording who consented and when."""
    principal.require("organisations:write")
    async with uow:
        await organisations.get(principal.account_id, organisation_id, uow=uow)
        partner = await uow.partners.get(partner_id)
        if partner is None:
            raise NotFound(f"No partner {partner_id!r}.")
        grant = Grant.give(
            "grt_" + uuid.uuid4().hex[:16],
            organisation_id=organisation_id,
            account_id=principal.account_id,
            partner=partner,
            kinds=kinds,
            given_by=_giver(principal),
            at=utc_now(),
            expires_at=expires_at,
            backfill=backfill,
        )
        await uow.partners.add_grant(grant)
        uow.collect(grant)
        await uow.commit()
    return grant


async def grants(principal: Principal, organisation_id: str, *, uow: AssessmentUnitOfWork) -> list[Grant]:
    """List an organisation's grants, ended ones included (the consent record)."""
    principal.require("organisations:read")
    await organisations.get(principal.account_id, organisation_id, uow=uow)
    return await uow.partners.grants(organisation_id)


@transactional
async def revoke_grant(
    principal: Principal, organisation_id: str, grant_id: str, *, uow: AssessmentUnitOfWork
) -> Grant:
    """Revoke a grant: the partner receives none of the organisation's later events."""
    principal.require("organisations:write")
    async with uow:
        await organisations.get(principal.account_id, organisation_id, uow=uow)
        grant = await uow.partners.grant(organisation_id, grant_id)
        if grant is None:
            raise NotFound(f"No live grant {grant_id!r}.")
        grant.end(at=utc_now(), reason="revoked", by=_giver(principal))
        if not await uow.partners.save_grant(grant):
            raise NotFound(f"No live grant {grant_id!r}.")
        uow.collect(grant)
        await uow.commit()
    return grant
