"""What alerting an organisation does: its alert, its inbox, its webhooks, the partners' event."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from services.watch.domain.alerts import Alert, alert_id
from services.watch.domain.deliveries import Delivery, Message, RetrySchedule
from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.domain.endpoints import Endpoint
from services.watch.domain.impact import affected_event, project_impact
from services.watch.domain.inbox import InboxItem, inbox_item_id
from services.watch.domain.notices import Notice
from services.watch.domain.preferences import Cadence, Channel, Preferences, route
from services.watch.service_layer import partners
from services.watch.service_layer.mailings import MailLinks, stage_alert_email
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.events.contracts.assessment import Plan
from shared.events.contracts.watch import OrganisationAffected
from shared.model.engine import CompiledModel, compile_model

logger = logging.getLogger(__name__)

AFFECTED_WEBHOOK_TYPE = "watch.organisation.affected"


@dataclass
class Lookups:
    """What one batch of alerts reads again and again, read once: model versions, accounts' choices.

    Kept for one transaction only: a plan or preference changed meanwhile counts from the next batch.
    """

    uow: WatchUnitOfWork
    compiled: dict[str, CompiledModel | None] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    chosen: dict[str, Preferences | None] = field(default_factory=dict)
    endpoints: dict[str, list[Endpoint]] = field(default_factory=dict)

    async def get(self, model_id: str, version: str) -> CompiledModel | None:
        """Return a compiled version, or None when no `model.published` told us of it."""
        ref = f"{model_id}@{version}"
        if ref not in self.compiled:
            model = await self.uow.model_versions.get(model_id, version)
            self.compiled[ref] = None if model is None else compile_model(model)
        return self.compiled[ref]

    async def plan(self, account_id: str) -> Plan:
        """Return an account's plan (free when never announced)."""
        if account_id not in self.plans:
            self.plans[account_id] = await self.uow.plans.plan(account_id) or "free"
        return self.plans[account_id]

    async def preferences(self, account_id: str) -> Preferences | None:
        """Return an account's preferences, if set."""
        if account_id not in self.chosen:
            self.chosen[account_id] = await self.uow.preferences.get(account_id)
        return self.chosen[account_id]

    async def account_endpoints(self, account_id: str) -> list[Endpoint]:
        """Return an account's webhook endpoints."""
        if account_id not in self.endpoints:
            self.endpoints[account_id] = await self.uow.endpoints.of_account(account_id)
        return self.endpoints[account_id]


async def affected(
    notice: Notice, diagnostic: WatchedDiagnostic, *, lookups: Lookups, at: datetime
) -> OrganisationAffected:
    """Describe how a notice touches a diagnostic; a model notice re-scores it under the new version."""
    own = await lookups.get(diagnostic.model_id, diagnostic.model_version)
    impact = None
    if notice.model_change is not None and own is not None:
        new = await lookups.get(diagnostic.model_id, notice.model_change.to_version)
        if new is not None:
            impact = project_impact(diagnostic, old=own, new=new)
    return affected_event(notice, diagnostic, model=own, impact=impact, at=at)


async def alert_organisation(
    uow: WatchUnitOfWork,
    notice: Notice,
    diagnostic: WatchedDiagnostic,
    *,
    lookups: Lookups,
    schedule: RetrySchedule,
    at: datetime,
    links: MailLinks | None = None,
) -> bool:
    """Open an organisation's alert on a notice and tell it on its channels; False if it exists already."""
    if await uow.alerts.get(alert_id(diagnostic.organisation_id, notice.id)) is not None:
        return False
    alert = Alert.open(
        organisation_id=diagnostic.organisation_id,
        notice_id=notice.id,
        diagnostic_id=diagnostic.diagnostic_id,
        at=at,
    )
    event = await affected(notice, diagnostic, lookups=lookups, at=at)
    await uow.alerts.save(alert, impact=event.model_dump(mode="json"))
    uow.collect(alert)
    uow.emit(event, subject=diagnostic.organisation_id)
    await partners.organisation_affected(uow, event, schedule=schedule)
    routes = await _routes(lookups, notice, diagnostic.account_id)
    item = _inbox_item(notice, diagnostic, alert, at)
    if routes.get("inbox", "off") != "off":
        await uow.inbox.add(item)
    if routes.get("email") == "immediately" and links is not None:
        preferences = await lookups.preferences(diagnostic.account_id)
        if preferences is not None and preferences.email is not None:
            await stage_alert_email(uow, item, notice, preferences.email, links=links, at=at)
    if routes.get("webhook") == "immediately":
        endpoints = await lookups.account_endpoints(diagnostic.account_id)
        await stage_webhooks(uow, endpoints, diagnostic.organisation_id, event, schedule=schedule, at=at)
    return True


async def _routes(lookups: Lookups, notice: Notice, account_id: str) -> dict[Channel, Cadence]:
    plan = await lookups.plan(account_id)
    if plan == "free" and notice.deadline is None and notice.effective_date is None:
        # The free plan hears of critical legal deadlines only: a notice with no date is none.
        return {}
    preferences = await lookups.preferences(account_id) or Preferences(account_id)
    return route(plan, notice.severity, notice.kind, preferences)


def _inbox_item(notice: Notice, diagnostic: WatchedDiagnostic, alert: Alert, at: datetime) -> InboxItem:
    return InboxItem(
        id=inbox_item_id(diagnostic.account_id, diagnostic.organisation_id, notice.id),
        account_id=diagnostic.account_id,
        organisation_id=diagnostic.organisation_id,
        alert_id=alert.id,
        notice_id=notice.id,
        kind=notice.kind,
        severity=notice.severity,
        title=notice.title_fr,
        summary=notice.summary_fr,
        created_at=at,
    )


def webhook_body(event_type: str, data: dict[str, object], *, at: datetime) -> bytes:
    """Return a webhook body as Standard Webhooks suggests: type, timestamp, data."""
    return json.dumps(
        {"type": event_type, "timestamp": at.isoformat(), "data": data}, ensure_ascii=False, default=str
    ).encode()


async def stage_webhooks(
    uow: WatchUnitOfWork,
    endpoints: list[Endpoint],
    organisation_id: str | None,
    event: OrganisationAffected,
    *,
    schedule: RetrySchedule,
    at: datetime,
) -> int:
    """Stage one delivery per enabled endpoint (of the account) that wants this event; return how many."""
    body = webhook_body(AFFECTED_WEBHOOK_TYPE, event.model_dump(mode="json"), at=at)
    staged = 0
    for endpoint in endpoints:
        wanted = endpoint.organisation_id in (None, organisation_id) and endpoint.accepts(
            AFFECTED_WEBHOOK_TYPE
        )
        if endpoint.enabled and wanted:
            message = Message.new(
                endpoint_id=endpoint.id, event_type=AFFECTED_WEBHOOK_TYPE, payload=body, at=at
            )
            started = Delivery.start(message, schedule)
            staged += await uow.deliveries.add(started, message, organisation_id=organisation_id)
    return staged
