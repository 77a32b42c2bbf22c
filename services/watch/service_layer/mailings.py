"""Use cases of e-mail: an alert's own e-mail, daily and weekly digests, reminders, and sending them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from services.watch.domain.digests import PARIS, DigestCadence, Period, digest_key, digest_period, group
from services.watch.domain.emails import DigestEntry, OutgoingEmail, ScoreChange, render_alert, render_digest
from services.watch.domain.endpoints import Endpoint
from services.watch.domain.inbox import InboxItem
from services.watch.domain.mailings import DeliveryFailed, StagedEmail
from services.watch.domain.notices import Notice
from services.watch.domain.preferences import route
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.mongo import utc_now
from shared.unit_of_work import transactional

logger = logging.getLogger(__name__)


class MailSender(Protocol):
    """What hands an e-mail to the SMTP server (raises DeliveryFailed with `transient`)."""

    async def send(self, message: OutgoingEmail) -> None:
        """Send one e-mail."""


@dataclass(frozen=True)
class MailLinks:
    """Where an e-mail's links point."""

    base_url: str

    @property
    def preferences_url(self) -> str:
        """Return where a subscriber changes its cadences (the List-Unsubscribe target)."""
        return f"{self.base_url.rstrip('/')}/watch/v1/preferences"


def veille_link(organisation_id: str) -> str:
    """Return the path of an organisation's Veille page."""
    return f"watch/v1/organisations/{organisation_id}/veille"


def entry(
    notice: Notice, organisation_name: str, organisation_id: str, affected: dict[str, Any] | None
) -> DigestEntry:
    """Describe an alert for an e-mail: what changed, which indicators, the projected scores, what to do."""
    impact = (affected or {}).get("impact") or {}
    changes = [
        ScoreChange(f"Levier {lever['code']}", lever["before"], lever["after"])
        for lever in impact.get("levers", [])
        if lever.get("before") is not None
        and lever.get("after") is not None
        and lever["before"] != lever["after"]
    ]
    if impact.get("overall_before") is not None and impact.get("overall_after") is not None:
        changes.insert(0, ScoreChange("global", impact["overall_before"], impact["overall_after"]))
    criteria = [c["text"] for step in impact.get("roadmap_head", []) for c in step.get("criteria", [])]
    return DigestEntry(
        notice_title=notice.title_fr,
        kind=notice.kind,
        severity=notice.severity,
        summary=notice.summary_fr,
        organisation_name=organisation_name or organisation_id,
        indicators=tuple(i["code"] for i in (affected or {}).get("indicators", [])),
        score_changes=tuple(changes),
        criteria=tuple(criteria[:6]),
        deadline=notice.deadline,
        link=veille_link(organisation_id),
    )


async def stage_alert_email(
    uow: WatchUnitOfWork, item: InboxItem, notice: Notice, to: str, *, links: MailLinks, at: datetime
) -> bool:
    """Stage the e-mail of one alert sent as soon as it opens (its key: the inbox item's)."""
    organisation = await uow.organisations.get(item.organisation_id)
    affected = await uow.alerts.impact(item.alert_id) if item.alert_id else None
    message = render_alert(
        entry(notice, organisation.name if organisation else "", item.organisation_id, affected),
        to=to,
        key=f"alert-{item.id}",
        base_url=links.base_url,
        preferences_url=links.preferences_url,
    )
    staged = StagedEmail.stage(
        message, account_id=item.account_id, at=at, organisation_id=item.organisation_id
    )
    return await uow.mails.stage(staged)


async def send_due(
    *,
    unit_of_work: Callable[[], WatchUnitOfWork],
    sender: MailSender,
    compress: float = 1.0,
    limit: int = 100,
) -> int:
    """Send the staged e-mails that are due; return how many were tried."""
    async with (uow := unit_of_work()):
        emails = await uow.mails.due(utc_now(), limit=limit)
    for email in emails:
        await _send_one(email, unit_of_work=unit_of_work, sender=sender, compress=compress)
    return len(emails)


async def _send_one(
    email: StagedEmail, *, unit_of_work: Callable[[], WatchUnitOfWork], sender: MailSender, compress: float
) -> None:
    try:
        await sender.send(email.message)
        email.sent(utc_now())
    except DeliveryFailed as exc:
        logger.warning("e-mail %s refused (%s)", email.key, "transient" if exc.transient else "permanent")
        email.failed(utc_now(), str(exc), transient=exc.transient, compress=compress)
    async with (uow := unit_of_work()):
        await uow.mails.save(email)
        await uow.commit()


def sent_after(cadence: DigestCadence, day: date) -> datetime:
    """Return a moment whose last whole period contains `day` (to stage a missed period's digests again)."""
    following = day + timedelta(days=1 if cadence == "daily" else 7 - day.weekday())
    return datetime.combine(following, time(12), tzinfo=PARIS).astimezone(UTC)


async def send_digests(
    cadence: DigestCadence, *, uow: WatchUnitOfWork, links: MailLinks, at: datetime
) -> int:
    """Stage the last whole period's digest of every subscriber on this cadence; return how many."""
    period, staged = digest_period(cadence, at), 0
    async with uow:
        accounts = await uow.preferences.subscribers()
    for account_id in accounts:
        staged += await _digest(account_id, cadence, period, uow=uow, links=links, at=at)
    return staged


@transactional
async def _digest(
    account_id: str,
    cadence: DigestCadence,
    period: Period,
    *,
    uow: WatchUnitOfWork,
    links: MailLinks,
    at: datetime,
) -> int:
    async with uow:
        preferences = await uow.preferences.get(account_id)
        key = digest_key(account_id, "email", period)
        if preferences is None or preferences.email is None or await uow.mails.get(key) is not None:
            return 0
        plan = await uow.plans.plan(account_id) or "free"
        items = [
            i
            for i in await uow.inbox.created_between(account_id, period.start, period.end)
            if route(plan, i.severity, i.kind, preferences).get("email") == cadence
        ]
        digest = group(items, period, at=at)
        if digest is None:
            return 0
        entries = [await _entry_of(uow, item) for item in digest.items]
        message = render_digest(
            [e for e in entries if e is not None],
            to=preferences.email,
            period=period,
            key=key,
            base_url=links.base_url,
            preferences_url=links.preferences_url,
        )
        # Sent from now on, whatever moment the period was computed for.
        await uow.mails.stage(StagedEmail.stage(message, account_id=account_id, at=utc_now()))
        await uow.commit()
    return 1


async def _entry_of(uow: WatchUnitOfWork, item: InboxItem) -> DigestEntry | None:
    notice = await uow.notices.get(item.notice_id)
    organisation = await uow.organisations.get(item.organisation_id)
    name = organisation.name if organisation else ""
    if notice is None:
        return DigestEntry(item.title, item.kind, item.severity, item.summary, name or item.organisation_id)
    affected = await uow.alerts.impact(item.alert_id) if item.alert_id else None
    return entry(notice, name, item.organisation_id, affected)


async def stage_endpoint_disabled(
    uow: WatchUnitOfWork, endpoint: Endpoint, *, links: MailLinks, at: datetime
) -> bool:
    """Tell an endpoint's owner by e-mail that it was disabled, and how to bring it back."""
    preferences = await uow.preferences.get(endpoint.account_id)
    if preferences is None or preferences.email is None:
        return False
    since = (endpoint.failing_since or at).strftime("%d/%m/%Y %H:%M")
    why = (
        "a répondu 410 (Gone)"
        if endpoint.disabled_reason == "gone"
        else f"échoue sans interruption depuis le {since} UTC"
    )
    notice = DigestEntry(
        notice_title="Votre point de terminaison webhook a été désactivé",
        kind="technology",
        severity="warning",
        summary=(
            f"L'adresse {endpoint.url} {why} : plus aucun message ne lui est envoyé. Une fois le problème "
            "corrigé, réactivez-la (POST …/enable) puis rejouez les messages manqués (POST …/replay)."
        ),
        organisation_name="Votre compte",
        link=f"watch/v1/webhooks/endpoints/{endpoint.id}/deliveries",
    )
    key = f"endpoint-disabled-{endpoint.id}-{int(at.timestamp())}"
    message = render_alert(
        notice, to=preferences.email, key=key, base_url=links.base_url, preferences_url=links.preferences_url
    )
    return await uow.mails.stage(StagedEmail.stage(message, account_id=endpoint.account_id, at=at))
