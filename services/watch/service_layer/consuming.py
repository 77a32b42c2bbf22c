"""What the watch service does with the events it consumes: whom it watches, with which diagnostic."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from services.watch.domain.deliveries import RetrySchedule
from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.domain.organisations import WatchedOrganisation
from services.watch.service_layer.alerting import Lookups, alert_organisation
from services.watch.service_layer.mailings import MailLinks
from services.watch.service_layer.notices import notice_model_version
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.events.contracts.assessment import (
    AccountOpened,
    AccountPlanChanged,
    DiagnosticWithdrawn,
    OrganisationErased,
    OrganisationProfile,
    OrganisationRegistered,
    OrganisationUpdated,
)
from shared.events.contracts.catalogue import ModelPublished
from shared.events.contracts.scoring import DiagnosticScored
from shared.mongo import utc_now
from shared.replicas import keep_published_model

logger = logging.getLogger(__name__)

E = TypeVar("E")
Handler = Callable[[E, WatchUnitOfWork], Awaitable[None]]


async def _profile(
    uow: WatchUnitOfWork,
    organisation_id: str,
    account_id: str,
    name: str,
    profile: OrganisationProfile,
    at: datetime,
) -> None:
    announced = WatchedOrganisation(
        organisation_id=organisation_id,
        account_id=account_id,
        name=name,
        sector=profile.sector,
        size_band=profile.size_band,
        region=profile.region,
        organisation_type=profile.organisation_type,
        updated_at=at,
    )
    known = await uow.organisations.get(organisation_id)
    await uow.organisations.save(announced if known is None else known.changed(announced))


async def organisation_registered(event: OrganisationRegistered, uow: WatchUnitOfWork) -> None:
    """Know a new organisation: its owner and name, for its alerts."""
    await _profile(
        uow, event.organisation_id, event.account_id, event.name, event.profile, event.registered_at
    )


async def organisation_updated(event: OrganisationUpdated, uow: WatchUnitOfWork) -> None:
    """Follow an organisation's new name and profile."""
    await _profile(uow, event.organisation_id, event.account_id, event.name, event.profile, event.updated_at)


async def organisation_erased(event: OrganisationErased, uow: WatchUnitOfWork) -> None:
    """Forget an erased organisation everywhere: diagnostics, alerts, inbox; keep a tombstone."""
    known = await uow.organisations.get(event.organisation_id)
    tombstone = (
        known.erase(event.erased_at)
        if known is not None
        else WatchedOrganisation(
            event.organisation_id, event.account_id, "", "", "", "", "", event.erased_at, True
        )
    )
    await uow.organisations.save(tombstone)
    await uow.diagnostics.forget_organisation(event.organisation_id)
    await uow.alerts.forget_organisation(event.organisation_id)
    await uow.inbox.forget_organisation(event.organisation_id)
    await uow.deliveries.forget_organisation(event.organisation_id)
    await uow.mails.forget_organisation(event.organisation_id)
    await uow.partner_feeds.forget_organisation(event.organisation_id, event.erased_at)


async def account_opened(event: AccountOpened, uow: WatchUnitOfWork) -> None:
    """Know an account's plan."""
    await uow.plans.set(event.account_id, event.plan, at=event.opened_at)


async def plan_changed(event: AccountPlanChanged, uow: WatchUnitOfWork) -> None:
    """Follow an account's plan."""
    await uow.plans.set(event.account_id, event.plan, at=event.changed_at)


def diagnostic_scored(schedule: RetrySchedule, links: MailLinks | None = None) -> Handler[DiagnosticScored]:
    """Return the handler that indexes a scored diagnostic and follows its organisation's alerts."""

    async def handle(event: DiagnosticScored, uow: WatchUnitOfWork) -> None:
        organisation = await uow.organisations.get(event.organisation_id)
        if organisation is not None and organisation.erased:
            logger.info("a scored diagnostic of an erased organisation arrived late; ignored")
            return
        if await uow.diagnostics.add(WatchedDiagnostic.of(event)):
            await follow(uow, event.organisation_id, schedule=schedule, links=links)

    return handle


def diagnostic_withdrawn(
    schedule: RetrySchedule, links: MailLinks | None = None
) -> Handler[DiagnosticWithdrawn]:
    """Return the handler that drops a withdrawn diagnostic (the previous one, if any, is watched again)."""

    async def handle(event: DiagnosticWithdrawn, uow: WatchUnitOfWork) -> None:
        await uow.diagnostics.withdraw(event.diagnostic_id)
        await follow(uow, event.organisation_id, schedule=schedule, links=links)

    return handle


async def follow(
    uow: WatchUnitOfWork, organisation_id: str, *, schedule: RetrySchedule, links: MailLinks | None = None
) -> None:
    """Index an organisation's latest diagnostic, then resolve, reopen or open its alerts accordingly."""
    standing = await uow.diagnostics.of_organisation(organisation_id)
    latest = max(standing, key=lambda d: (d.scored_at, d.diagnostic_id), default=None)
    indexed = await uow.diagnostics.latest(organisation_id)
    if latest == indexed:
        return
    await uow.diagnostics.set_latest(organisation_id, latest)
    at, lookups = utc_now(), Lookups(uow)
    # One read of the organisation's alerts, not one per published notice.
    alerts = {a.notice_id: a for a in await uow.alerts.of_organisation(organisation_id)}
    for notice in await uow.notices.published():
        matches = latest is not None and notice.targets(latest)
        alert = alerts.get(notice.id)
        if alert is not None:
            diagnostic_id = latest.diagnostic_id if latest is not None else alert.diagnostic_id
            if alert.diagnostic_changed(matches, diagnostic_id, at):
                await uow.alerts.save(alert)
                uow.collect(alert)
        elif matches and latest is not None:
            await alert_organisation(
                uow, notice, latest, lookups=lookups, schedule=schedule, at=at, links=links
            )


async def model_published(event: ModelPublished, uow: WatchUnitOfWork) -> None:
    """Keep the version, and announce a newer version of a model by a notice of its changes."""
    await keep_published_model(event, uow)
    model = await uow.model_versions.get(event.model_id, event.version)
    if model is not None:
        await notice_model_version(model, uow=uow)
