"""Use cases of organisations: register, read, change, list, erase."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from services.assessment.domain.organisations import Organisation
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.errors import InvalidInput, NotFound
from shared.mongo import utc_now
from shared.unit_of_work import transactional


@transactional
async def register(
    account_id: str, values: dict[str, Any], *, sectors: set[str], uow: AssessmentUnitOfWork
) -> Organisation:
    """Register an organisation and announce it."""
    org = Organisation.register(
        "org_" + uuid.uuid4().hex[:16], account_id, values, sectors=sectors, at=utc_now()
    )
    async with uow:
        await uow.organisations.add(org)
        uow.collect(org)
        await uow.commit()
    return org


async def get(account_id: str, organisation_id: str, *, uow: AssessmentUnitOfWork) -> Organisation:
    """Return one of the account's organisations, or raise NotFound (also for another tenant's)."""
    org = await uow.organisations.get(account_id, organisation_id)
    if org is None:
        raise NotFound(f"No organisation {organisation_id!r}.")
    return org


@transactional
async def update(
    account_id: str,
    organisation_id: str,
    changes: dict[str, Any],
    *,
    sectors: set[str],
    uow: AssessmentUnitOfWork,
) -> Organisation:
    """Change some fields of an organisation and announce its new profile."""
    async with uow:
        org = await get(account_id, organisation_id, uow=uow)
        org.update(changes, sectors=sectors, at=utc_now())
        await uow.organisations.save(org)
        uow.collect(org)
        await uow.commit()
    return org


def encode_cursor(organisation_id: str) -> str:
    """Make an opaque cursor from the last id of a page."""
    return base64.urlsafe_b64encode(organisation_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """Read a cursor back, refusing one we did not make."""
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if not decoded.startswith("org_") or encode_cursor(decoded) != cursor:
        raise InvalidInput(
            "The cursor is not valid.", errors=[{"path": "cursor", "message": "invalid cursor"}]
        )
    return decoded


async def page(
    account_id: str, *, cursor: str | None, limit: int, uow: AssessmentUnitOfWork
) -> tuple[list[Organisation], str | None]:
    """Return a page of organisations and the cursor of the next page (None at the end)."""
    after = decode_cursor(cursor) if cursor else None
    items = await uow.organisations.page(account_id, after=after, limit=limit + 1)
    more = len(items) > limit
    items = items[:limit]
    return items, encode_cursor(items[-1].organisation_id) if more and items else None


@transactional
async def erase(account_id: str, organisation_id: str, *, uow: AssessmentUnitOfWork) -> None:
    """Delete an organisation, its diagnostics, answers and grants; tell the other services to forget it."""
    async with uow:
        org = await get(account_id, organisation_id, uow=uow)
        at = utc_now()
        org.erase(at=at)
        # Grants end with the organisation (each announced, so partner feeds stop at once); their
        # record stays, ended, as the evidence of what was consented and when.
        for grant in await uow.partners.grants(organisation_id):
            if grant.end_reason is None:
                grant.end(at=at, reason="erased", by=None)
                await uow.partners.save_grant(grant)
                uow.collect(grant)
        erased = await uow.diagnostics.erase_organisation(account_id, organisation_id)
        await uow.answers.erase(erased)
        await uow.organisations.delete(account_id, organisation_id)
        uow.collect(org)
        await uow.commit()
