"""Use cases of change notices: the operators' lifecycle, the model's own notices, and the fan-out."""

from __future__ import annotations

import logging

from services.watch.domain.catalogue import load_catalogue
from services.watch.domain.deliveries import RetrySchedule
from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.domain.index import DiagnosticMatrix
from services.watch.domain.model_notices import notice_from_diff
from services.watch.domain.notices import Notice
from services.watch.service_layer.alerting import Lookups, alert_organisation
from services.watch.service_layer.mailings import MailLinks
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.errors import Conflict, NotFound
from shared.model.diff import diff_models
from shared.model.schema import MaturityModel, version_key
from shared.mongo import utc_now
from shared.unit_of_work import transactional

logger = logging.getLogger(__name__)


@transactional
async def load_shipped_catalogue(*, uow: WatchUnitOfWork) -> int:
    """Store the shipped catalogue's notices as drafts (those already there are left as they are)."""
    async with uow:
        added = 0
        for notice in load_catalogue():
            added += await uow.notices.add(notice)
        await uow.commit()
    return added


async def list_notices(*, status: str | None, kind: str | None, uow: WatchUnitOfWork) -> list[Notice]:
    """Return notices, newest published first."""
    async with uow:
        return await uow.notices.listed(status=status, kind=kind)


async def get_notice(notice_id: str, *, uow: WatchUnitOfWork) -> Notice:
    """Return a notice, or say it does not exist."""
    async with uow:
        notice = await uow.notices.get(notice_id)
    if notice is None:
        raise NotFound(f"No notice {notice_id!r}.")
    return notice


@transactional
async def create_notice(notice: Notice, *, uow: WatchUnitOfWork) -> Notice:
    """Store an operator's draft notice."""
    async with uow:
        if not await uow.notices.add(notice):
            raise Conflict(f"A notice {notice.id!r} exists already.")
        await uow.commit()
    return notice


@transactional
async def revise_notice(notice_id: str, changes: dict[str, object], *, uow: WatchUnitOfWork) -> Notice:
    """Change a draft notice."""
    async with uow:
        notice = await _notice(uow, notice_id)
        notice.revise(**changes)
        await uow.notices.save(notice)
        await uow.commit()
    return notice


@transactional
async def publish_notice(notice_id: str, *, uow: WatchUnitOfWork) -> Notice:
    """Publish a draft notice: its event leaves with it, the organisations it targets are alerted next."""
    async with uow:
        notice = await _notice(uow, notice_id)
        notice.publish(utc_now())
        await uow.notices.save(notice)
        uow.collect(notice)
        await uow.commit()
    return notice


@transactional
async def withdraw_notice(notice_id: str, reason: str, *, uow: WatchUnitOfWork) -> Notice:
    """Withdraw a published notice and close its alerts."""
    async with uow:
        notice = await _notice(uow, notice_id)
        at = utc_now()
        notice.withdraw(at, reason)
        await uow.notices.save(notice)
        uow.collect(notice)
        for alert in await uow.alerts.of_notice(notice_id):
            alert.notice_withdrawn(at)
            await uow.alerts.save(alert)
            uow.collect(alert)
        await uow.commit()
    return notice


async def _notice(uow: WatchUnitOfWork, notice_id: str) -> Notice:
    notice = await uow.notices.get(notice_id)
    if notice is None:
        raise NotFound(f"No notice {notice_id!r}.")
    return notice


async def fan_out(
    notice_id: str,
    *,
    uow: WatchUnitOfWork,
    schedule: RetrySchedule,
    batch: int,
    links: MailLinks | None = None,
) -> int:
    """Alert every organisation a published notice targets, a batch per transaction; return how many.

    Alerts are one per organisation and notice, so running it again (after a crash, or for a
    duplicate event) alerts only those not alerted yet.
    """
    async with uow:
        notice = await uow.notices.get(notice_id)
        if notice is None or notice.status != "published":
            return 0
        candidates = await uow.diagnostics.candidates(notice)
    # The columnar index answers for every candidate at once (the same answer as notice.targets).
    targeted = [candidates[row] for row in DiagnosticMatrix.of(candidates).select(notice).tolist()]
    alerted = 0
    for start in range(0, len(targeted), batch):
        alerted += await _alert_batch(
            notice, targeted[start : start + batch], uow=uow, schedule=schedule, links=links
        )
    async with uow:
        await uow.notices.mark_fanned_out(notice_id)
        await uow.commit()
    logger.info("notice %s: %d organisation(s) targeted, %d alerted now", notice_id, len(targeted), alerted)
    return alerted


@transactional
async def _alert_batch(
    notice: Notice,
    diagnostics: list[WatchedDiagnostic],
    *,
    uow: WatchUnitOfWork,
    schedule: RetrySchedule,
    links: MailLinks | None,
) -> int:
    at, alerted = utc_now(), 0
    async with uow:
        lookups = Lookups(uow)
        for diagnostic in diagnostics:
            alerted += await alert_organisation(
                uow, notice, diagnostic, lookups=lookups, schedule=schedule, at=at, links=links
            )
        await uow.commit()
    return alerted


def model_notice_id(model_id: str, from_version: str, to_version: str) -> str:
    """Return the id of the notice announcing a model version (the same event gives the same id)."""
    return f"ntc_model_{model_id}_{from_version}_{to_version}".replace(".", "_")


async def notice_model_version(model: MaturityModel, *, uow: WatchUnitOfWork) -> Notice | None:
    """Publish, within the caller's unit of work, the notice of a newer model version; None if not newer."""
    versions = await uow.model_versions.versions(model.model_id)
    older = [
        m for m in versions if version_key(m.version) < version_key(model.version) and "-" not in m.version
    ]
    if not older or "-" in model.version:
        return None
    previous = max(older, key=lambda m: version_key(m.version))
    at = utc_now()
    notice = notice_from_diff(
        diff_models(previous, model),
        from_model=previous,
        to_model=model,
        notice_id=model_notice_id(model.model_id, previous.version, model.version),
        at=at,
    )
    if not await uow.notices.add(notice):
        return None
    notice.publish(at)
    await uow.notices.save(notice)
    uow.collect(notice)
    return notice
