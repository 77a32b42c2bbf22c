"""What the benchmark does with the events it consumes: who counts, with which diagnostic, where."""

from __future__ import annotations

import logging
from datetime import datetime

from services.benchmark.domain.entries import ScoredEntry
from services.benchmark.domain.members import PROVISIONAL, Member
from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from shared.events.contracts.assessment import (
    AccountOpened,
    AccountPlanChanged,
    DiagnosticWithdrawn,
    OrganisationErased,
    OrganisationProfile,
    OrganisationRegistered,
    OrganisationUpdated,
)
from shared.events.contracts.scoring import DiagnosticScored

logger = logging.getLogger(__name__)


async def _member(uow: BenchmarkUnitOfWork, organisation_id: str, account_id: str) -> Member:
    found = await uow.members.get(organisation_id)
    if found is not None:
        return found
    return Member(organisation_id, account_id, "", "", "", "", PROVISIONAL)


async def _profile(
    uow: BenchmarkUnitOfWork,
    organisation_id: str,
    account_id: str,
    profile: OrganisationProfile,
    at: datetime,
) -> None:
    member = await _member(uow, organisation_id, account_id)
    if member.erased:
        return
    member.profile_changed(
        sector=profile.sector,
        size_band=profile.size_band,
        region=profile.region,
        organisation_type=profile.organisation_type,
        at=at,
    )
    await uow.members.save(member)


async def organisation_registered(event: OrganisationRegistered, uow: BenchmarkUnitOfWork) -> None:
    """Know a new organisation and its cohorts."""
    await _profile(uow, event.organisation_id, event.account_id, event.profile, event.registered_at)


async def organisation_updated(event: OrganisationUpdated, uow: BenchmarkUnitOfWork) -> None:
    """Move an organisation to the cohorts of its new profile (from the next snapshot)."""
    await _profile(uow, event.organisation_id, event.account_id, event.profile, event.updated_at)


async def organisation_erased(event: OrganisationErased, uow: BenchmarkUnitOfWork) -> None:
    """Forget an erased organisation at once; it leaves the next snapshot."""
    member = await _member(uow, event.organisation_id, event.account_id)
    member.erase()
    await uow.entries.forget_organisation(event.organisation_id)
    await uow.members.save(member)


async def diagnostic_scored(event: DiagnosticScored, uow: BenchmarkUnitOfWork) -> None:
    """Keep a scored diagnostic; the organisation's latest one is what counts."""
    member = await uow.members.get(event.organisation_id)
    if member is not None and member.erased:
        logger.info("a scored diagnostic of an erased organisation arrived late; ignored")
        return
    entry = ScoredEntry.of(event)
    await uow.entries.add(entry)
    member = member or Member.provisional(entry)
    member.counted(await uow.entries.of_organisation(event.organisation_id))
    await uow.members.save(member)


async def diagnostic_withdrawn(event: DiagnosticWithdrawn, uow: BenchmarkUnitOfWork) -> None:
    """Take a withdrawn diagnostic out at once; the previous one, if any, counts again."""
    await uow.entries.remove(event.diagnostic_id)
    member = await uow.members.get(event.organisation_id)
    if member is None or member.erased:
        return
    member.counted(await uow.entries.of_organisation(event.organisation_id))
    await uow.members.save(member)


async def account_opened(event: AccountOpened, uow: BenchmarkUnitOfWork) -> None:
    """Know an account's plan."""
    await uow.plans.set(event.account_id, event.plan, at=event.opened_at)


async def plan_changed(event: AccountPlanChanged, uow: BenchmarkUnitOfWork) -> None:
    """Follow an account's plan: premium figures open or close at once."""
    await uow.plans.set(event.account_id, event.plan, at=event.changed_at)
