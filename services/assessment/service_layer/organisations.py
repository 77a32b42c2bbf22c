"""Use cases of organisations: register, read, change, list, erase."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from services.assessment.adapters.diagnostics import DiagnosticRepository
from services.assessment.adapters.organisations import OrganisationRepository
from services.assessment.domain.organisation import Organisation, siren_is_valid
from shared.errors import InvalidInput, NotFound
from shared.events.contracts.assessment import (
    OrganisationErased,
    OrganisationProfile,
    OrganisationRegistered,
    OrganisationUpdated,
)
from shared.messaging.outbox import Outbox
from shared.model.vocabulary import REGIONS
from shared.mongo import Client, in_transaction, utc_now


@dataclass(frozen=True)
class Storage:
    """What the organisation use cases write to."""

    client: Client
    organisations: OrganisationRepository
    diagnostics: DiagnosticRepository
    outbox: Outbox
    on_commit: Callable[[], None]


def profile_of(org: Organisation) -> OrganisationProfile:
    """Return the profile benchmarks and targets depend on."""
    return OrganisationProfile(
        sector=org.sector, size_band=org.size_band, region=org.region, organisation_type=org.organisation_type
    )


def check_fields(fields: dict[str, Any], *, sectors: set[str]) -> None:
    """Refuse unknown sectors and regions and invalid SIRENs, listing every problem."""
    problems = []
    if "sector" in fields and fields["sector"] not in sectors:
        problems.append({"path": "sector", "message": f"unknown sector; choose from {sorted(sectors)}"})
    if "region" in fields and fields["region"] not in REGIONS:
        problems.append({"path": "region", "message": f"unknown region; choose from {sorted(REGIONS)}"})
    siren = fields.get("siren")
    if siren is not None and not siren_is_valid(siren):
        problems.append({"path": "siren", "message": "a SIREN has 9 digits and a valid check digit"})
    if problems:
        raise InvalidInput("The organisation is not valid.", errors=problems)


async def register(
    account_id: str, fields: dict[str, Any], *, sectors: set[str], storage: Storage
) -> Organisation:
    """Register an organisation and announce it."""
    check_fields(fields, sectors=sectors)
    now = utc_now()
    org = Organisation(
        organisation_id="org_" + uuid.uuid4().hex[:16],
        account_id=account_id,
        created_at=now,
        updated_at=now,
        siren=fields.get("siren"),
        **{k: v for k, v in fields.items() if k != "siren"},
    )
    event = OrganisationRegistered(
        organisation_id=org.organisation_id,
        account_id=account_id,
        name=org.name,
        profile=profile_of(org),
        registered_at=now,
    )

    async def work(session: AsyncClientSession) -> None:
        await storage.organisations.add(org, session=session)
        await storage.outbox.add(event, subject=org.organisation_id, session=session)

    await in_transaction(storage.client, work)
    storage.on_commit()
    return org


async def get(
    account_id: str, organisation_id: str, *, organisations: OrganisationRepository
) -> Organisation:
    """Return one of the account's organisations, or raise NotFound (also for another tenant's)."""
    org = await organisations.get(account_id, organisation_id)
    if org is None:
        raise NotFound(f"No organisation {organisation_id!r}.")
    return org


async def update(
    account_id: str, organisation_id: str, changes: dict[str, Any], *, sectors: set[str], storage: Storage
) -> Organisation:
    """Change some fields of an organisation and announce its new profile."""
    check_fields(changes, sectors=sectors)
    org = await get(account_id, organisation_id, organisations=storage.organisations)
    changed = org.updated(at=utc_now(), **changes)
    event = OrganisationUpdated(
        organisation_id=org.organisation_id,
        account_id=account_id,
        name=changed.name,
        profile=profile_of(changed),
        updated_at=changed.updated_at,
    )

    async def work(session: AsyncClientSession) -> None:
        await storage.organisations.replace(changed, session=session)
        await storage.outbox.add(event, subject=org.organisation_id, session=session)

    await in_transaction(storage.client, work)
    storage.on_commit()
    return changed


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
    account_id: str, *, cursor: str | None, limit: int, organisations: OrganisationRepository
) -> tuple[list[Organisation], str | None]:
    """Return a page of organisations and the cursor of the next page (None at the end)."""
    items = await organisations.page(
        account_id, after=decode_cursor(cursor) if cursor else None, limit=limit + 1
    )
    more = len(items) > limit
    items = items[:limit]
    return items, encode_cursor(items[-1].organisation_id) if more and items else None


async def erase(account_id: str, organisation_id: str, *, storage: Storage) -> None:
    """Delete an organisation with its diagnostics and answers, and tell the other services to forget it."""
    await get(account_id, organisation_id, organisations=storage.organisations)
    event = OrganisationErased(organisation_id=organisation_id, account_id=account_id, erased_at=utc_now())

    async def work(session: AsyncClientSession) -> None:
        await storage.diagnostics.erase_organisation(account_id, organisation_id, session=session)
        await storage.organisations.delete(account_id, organisation_id, session=session)
        await storage.outbox.add(event, subject=organisation_id, session=session)

    await in_transaction(storage.client, work)
    storage.on_commit()
