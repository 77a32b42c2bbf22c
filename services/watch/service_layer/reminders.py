"""Use cases of time: re-diagnosis reminders, and the days notices take effect or reach their deadline."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.watch.domain.emails import DigestEntry, render_alert
from services.watch.domain.inbox import InboxItem, inbox_item_id
from services.watch.domain.mailings import StagedEmail
from services.watch.domain.notices import Notice
from services.watch.domain.preferences import Preferences
from services.watch.domain.reminders import due, next_due_at, reminder_key
from services.watch.service_layer.mailings import MailLinks, veille_link
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.unit_of_work import transactional

REMINDER_NOTICE = "rappel-rediagnostic"


async def remind(
    *, uow: WatchUnitOfWork, links: MailLinks, at: datetime, after: timedelta, every: timedelta
) -> int:
    """Remind every organisation whose latest diagnostic is old to diagnose again; return how many."""
    async with uow:
        latest = await uow.diagnostics.every_latest()
    reminded = 0
    for diagnostic in latest:
        reminded += await _remind_one(
            diagnostic.organisation_id,
            diagnostic.account_id,
            diagnostic.scored_at,
            uow=uow,
            links=links,
            at=at,
            after=after,
            every=every,
        )
    return reminded


@transactional
async def _remind_one(
    organisation_id: str,
    account_id: str,
    scored_at: datetime,
    *,
    uow: WatchUnitOfWork,
    links: MailLinks,
    at: datetime,
    after: timedelta,
    every: timedelta,
) -> int:
    async with uow:
        last = await uow.mails.last_reminder(organisation_id)
        if not due(scored_at, last, at, after=after, every=every):
            return 0
        key = reminder_key(organisation_id, next_due_at(scored_at, last, after=after, every=every))
        item = _reminder_item(organisation_id, account_id, key, scored_at.date(), at=at)
        if await uow.inbox.add(item):
            preferences = await uow.preferences.get(account_id) or Preferences(account_id)
            if preferences.email is not None and preferences.cadence("email", "usage") != "off":
                await _stage_reminder_email(uow, item, preferences.email, links=links, at=at)
        await uow.mails.reminded(organisation_id, at)
        await uow.commit()
    return 1


def _reminder_item(
    organisation_id: str, account_id: str, key: str, scored_on: date, *, at: datetime
) -> InboxItem:
    return InboxItem(
        id=inbox_item_id(account_id, organisation_id, f"{REMINDER_NOTICE}:{key}"),
        account_id=account_id,
        organisation_id=organisation_id,
        alert_id=None,
        notice_id=REMINDER_NOTICE,
        kind="usage",
        severity="info",
        title="Il est temps de refaire votre diagnostic",
        summary=(
            f"Votre dernier diagnostic date du {scored_on.strftime('%d/%m/%Y')}. Les usages, les "
            "technologies et la réglementation ont évolué depuis : un nouveau diagnostic mesure vos "
            "progrès et met à jour votre feuille de route."
        ),
        created_at=at,
    )


async def _stage_reminder_email(
    uow: WatchUnitOfWork, item: InboxItem, to: str, *, links: MailLinks, at: datetime
) -> None:
    organisation = await uow.organisations.get(item.organisation_id)
    name = organisation.name if organisation and organisation.name else item.organisation_id
    reminder = DigestEntry(
        item.title, item.kind, item.severity, item.summary, name, link=veille_link(item.organisation_id)
    )
    message = render_alert(
        reminder,
        to=to,
        key=f"reminder-{item.id}",
        base_url=links.base_url,
        preferences_url=links.preferences_url,
    )
    staged = StagedEmail.stage(
        message, account_id=item.account_id, at=at, organisation_id=item.organisation_id
    )
    await uow.mails.stage(staged)


@transactional
async def milestones(*, uow: WatchUnitOfWork, today: date, at: datetime) -> int:
    """Tell the organisations with an open alert that a notice takes effect or reaches its deadline today."""
    staged = 0
    async with uow:
        for notice in await uow.notices.published():
            moment = (
                "deadline"
                if notice.deadline == today
                else "effective"
                if notice.effective_date == today
                else None
            )
            if moment is None:
                continue
            for alert in await uow.alerts.of_notice(notice.id):
                if alert.status in ("open", "acknowledged"):
                    staged += await _milestone_item(
                        uow, notice, alert.organisation_id, alert.id, moment, at=at
                    )
        await uow.commit()
    return staged


async def _milestone_item(
    uow: WatchUnitOfWork, notice: Notice, organisation_id: str, alert_id: str, moment: str, *, at: datetime
) -> int:
    organisation = await uow.organisations.get(organisation_id)
    if organisation is None or organisation.erased:
        return 0
    title = (
        "Échéance aujourd'hui : " if moment == "deadline" else "En vigueur aujourd'hui : "
    ) + notice.title_fr
    item = InboxItem(
        id=inbox_item_id(organisation.account_id, organisation_id, f"{notice.id}:{moment}"),
        account_id=organisation.account_id,
        organisation_id=organisation_id,
        alert_id=alert_id,
        notice_id=notice.id,
        kind=notice.kind,
        severity=notice.severity,
        title=title,
        summary=notice.summary_fr,
        created_at=at,
    )
    return int(await uow.inbox.add(item))
