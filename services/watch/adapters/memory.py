"""In-memory fakes of the watch repositories and unit of work, for unit tests of use cases."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from services.watch.domain.alerts import Alert
from services.watch.domain.deliveries import Delivery, DeliveryStatus, Message
from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.domain.endpoints import Endpoint
from services.watch.domain.inbox import InboxItem
from services.watch.domain.mailings import StagedEmail
from services.watch.domain.notices import Notice
from services.watch.domain.organisations import WatchedOrganisation
from services.watch.domain.partners import FeedEvent, KnownGrant, KnownPartner
from services.watch.domain.preferences import Preferences
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.adapters.plans import MemoryPlanRepository
from shared.adapters.probes import MemoryProbeAnswers
from shared.adapters.replicas import MemoryModelVersions, MemoryRevokedKeys
from shared.unit_of_work import MemoryUnitOfWork

T = TypeVar("T")


def _copy(item: T) -> T:
    """Hand out copies, as a database does: a change is seen only once it is saved."""
    return copy.deepcopy(item)


class MemoryOrganisationRepository:
    """Organisations in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, WatchedOrganisation] = {}

    async def get(self, organisation_id: str) -> WatchedOrganisation | None:
        """Return an organisation."""
        return self.items.get(organisation_id)

    async def save(self, organisation: WatchedOrganisation) -> None:
        """Store an organisation's state."""
        self.items[organisation.organisation_id] = organisation


class MemoryDiagnosticRepository:
    """Scored diagnostics and the latest per organisation in dictionaries."""

    def __init__(self) -> None:
        self.scored: dict[str, WatchedDiagnostic] = {}
        self.withdrawn: dict[str, str | None] = {}
        self.watched: dict[str, WatchedDiagnostic] = {}

    async def add(self, diagnostic: WatchedDiagnostic) -> bool:
        """Store a scored diagnostic; False when it was already there or withdrawn."""
        if diagnostic.diagnostic_id in self.scored or diagnostic.diagnostic_id in self.withdrawn:
            return False
        self.scored[diagnostic.diagnostic_id] = diagnostic
        return True

    async def withdraw(self, diagnostic_id: str) -> str | None:
        """Mark a diagnostic withdrawn; return its organisation if known."""
        found = self.scored.pop(diagnostic_id, None)
        organisation = found.organisation_id if found else self.withdrawn.get(diagnostic_id)
        self.withdrawn[diagnostic_id] = organisation
        return organisation

    async def of_organisation(self, organisation_id: str) -> list[WatchedDiagnostic]:
        """Return an organisation's diagnostics that are not withdrawn."""
        return [d for d in self.scored.values() if d.organisation_id == organisation_id]

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete every diagnostic of an organisation, and its index entry."""
        for diagnostic in await self.of_organisation(organisation_id):
            del self.scored[diagnostic.diagnostic_id]
        self.watched.pop(organisation_id, None)

    async def set_latest(self, organisation_id: str, diagnostic: WatchedDiagnostic | None) -> None:
        """Index an organisation's latest diagnostic."""
        if diagnostic is None:
            self.watched.pop(organisation_id, None)
        else:
            self.watched[organisation_id] = diagnostic

    async def latest(self, organisation_id: str) -> WatchedDiagnostic | None:
        """Return the indexed latest diagnostic of an organisation."""
        return self.watched.get(organisation_id)

    async def every_latest(self) -> list[WatchedDiagnostic]:
        """Return every latest diagnostic."""
        return list(self.watched.values())

    async def candidates(self, notice: Notice) -> list[WatchedDiagnostic]:
        """Return every latest diagnostic (the notice decides)."""
        return list(self.watched.values())


class MemoryNoticeRepository:
    """Notices in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, Notice] = {}
        self.fanned_out: set[str] = set()

    async def get(self, notice_id: str) -> Notice | None:
        """Return a notice."""
        return _copy(self.items.get(notice_id))

    async def add(self, notice: Notice) -> bool:
        """Store a new notice; False when its id exists already."""
        if notice.id in self.items:
            return False
        self.items[notice.id] = _copy(notice)
        return True

    async def save(self, notice: Notice) -> None:
        """Store a notice's new state."""
        self.items[notice.id] = _copy(notice)

    async def listed(self, *, status: str | None = None, kind: str | None = None) -> list[Notice]:
        """Return notices, newest first."""
        found = [
            n
            for n in self.items.values()
            if (status is None or n.status == status) and (kind is None or n.kind == kind)
        ]
        return _copy(
            sorted(found, key=lambda n: (n.published_at is not None, n.published_at, n.id), reverse=True)
        )

    async def published(self) -> list[Notice]:
        """Return the published notices."""
        return await self.listed(status="published")

    async def pending_fan_out(self) -> list[str]:
        """Return the published notices not fanned out yet."""
        return [n.id for n in await self.published() if n.id not in self.fanned_out]

    async def mark_fanned_out(self, notice_id: str) -> None:
        """Remember a notice was fanned out."""
        self.fanned_out.add(notice_id)


class MemoryAlertRepository:
    """Alerts in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, Alert] = {}
        self.impacts: dict[str, dict[str, Any]] = {}

    async def get(self, alert_id: str) -> Alert | None:
        """Return an alert."""
        return _copy(self.items.get(alert_id))

    async def save(self, alert: Alert, *, impact: dict[str, Any] | None = None) -> None:
        """Store an alert's state."""
        self.items[alert.id] = _copy(alert)
        if impact is not None:
            self.impacts[alert.id] = impact

    async def of_organisation(self, organisation_id: str, *, status: str | None = None) -> list[Alert]:
        """Return an organisation's alerts, newest first."""
        found = [
            a
            for a in self.items.values()
            if a.organisation_id == organisation_id and (status is None or a.status == status)
        ]
        return _copy(sorted(found, key=lambda a: (a.opened_at, a.id), reverse=True))

    async def of_notice(self, notice_id: str) -> list[Alert]:
        """Return a notice's alerts."""
        return _copy([a for a in self.items.values() if a.notice_id == notice_id])

    async def impact(self, alert_id: str) -> dict[str, Any] | None:
        """Return an alert's impact."""
        return self.impacts.get(alert_id)

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete an organisation's alerts."""
        self.items = {k: a for k, a in self.items.items() if a.organisation_id != organisation_id}


class MemoryInboxRepository:
    """Inbox items in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, InboxItem] = {}

    async def get(self, item_id: str) -> InboxItem | None:
        """Return an item."""
        return _copy(self.items.get(item_id))

    async def add(self, item: InboxItem) -> bool:
        """Store a new item; False when its id exists already."""
        if item.id in self.items:
            return False
        self.items[item.id] = _copy(item)
        return True

    async def save(self, item: InboxItem) -> None:
        """Store an item's new state."""
        self.items[item.id] = _copy(item)

    async def of_account(self, account_id: str, *, archived: bool = False) -> list[InboxItem]:
        """Return an account's items, newest first."""
        found = [i for i in self.items.values() if i.account_id == account_id and i.archived == archived]
        return _copy(sorted(found, key=lambda i: i.created_at, reverse=True))

    async def created_between(self, account_id: str, start: datetime, end: datetime) -> list[InboxItem]:
        """Return an account's items created in [start, end)."""
        found = [i for i in self.items.values() if i.account_id == account_id and start <= i.created_at < end]
        return _copy(sorted(found, key=lambda i: i.created_at))

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete an organisation's items."""
        self.items = {k: i for k, i in self.items.items() if i.organisation_id != organisation_id}


class MemoryPreferenceRepository:
    """Preferences in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, Preferences] = {}

    async def get(self, account_id: str) -> Preferences | None:
        """Return an account's preferences."""
        return _copy(self.items.get(account_id))

    async def save(self, account_id: str, preferences: Preferences) -> None:
        """Store an account's preferences."""
        self.items[account_id] = _copy(preferences)

    async def subscribers(self) -> list[str]:
        """Return the accounts with preferences."""
        return list(self.items)


class MemoryEndpointRepository:
    """Endpoints in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, Endpoint] = {}

    async def get(self, endpoint_id: str) -> Endpoint | None:
        """Return an endpoint."""
        return _copy(self.items.get(endpoint_id))

    async def save(self, endpoint: Endpoint) -> None:
        """Store an endpoint's state."""
        self.items[endpoint.id] = _copy(endpoint)

    async def delete(self, endpoint_id: str) -> None:
        """Delete an endpoint."""
        self.items.pop(endpoint_id, None)

    async def of_account(self, account_id: str) -> list[Endpoint]:
        """Return an account's endpoints."""
        return _copy([e for e in self.items.values() if e.account_id == account_id])


class MemoryDeliveryRepository:
    """Messages and deliveries in dictionaries."""

    def __init__(self) -> None:
        self.messages: dict[str, Message] = {}
        self.about: dict[str, str | None] = {}
        self.items: dict[str, tuple[Delivery, datetime]] = {}

    async def add(self, delivery: Delivery, message: Message, *, organisation_id: str | None = None) -> bool:
        """Store a new message and its delivery; False when the delivery exists already."""
        self.messages.setdefault(message.id, message)
        self.about[message.id] = organisation_id
        key = f"{delivery.message_id}:{delivery.endpoint_id}"
        if key in self.items:
            return False
        self.items[key] = (_copy(delivery), message.created_at)
        return True

    async def message(self, message_id: str) -> Message | None:
        """Return a message."""
        return self.messages.get(message_id)

    async def get(self, message_id: str, endpoint_id: str) -> Delivery | None:
        """Return a delivery."""
        found = self.items.get(f"{message_id}:{endpoint_id}")
        return _copy(found[0]) if found else None

    async def save(self, delivery: Delivery) -> None:
        """Store a delivery's state."""
        key = f"{delivery.message_id}:{delivery.endpoint_id}"
        self.items[key] = (_copy(delivery), self.items[key][1])

    async def due(self, at: datetime, *, limit: int) -> Sequence[Delivery]:
        """Return pending deliveries whose next attempt is due, oldest first."""
        due = [
            d
            for d, _ in self.items.values()
            if d.status == DeliveryStatus.PENDING
            and d.next_attempt_at is not None
            and d.next_attempt_at <= at
        ]
        return _copy(sorted(due, key=lambda d: d.next_attempt_at or at)[:limit])

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete the messages about an organisation, and their deliveries."""
        gone = {m for m, about in self.about.items() if about == organisation_id}
        self.items = {k: v for k, v in self.items.items() if v[0].message_id not in gone}
        self.messages = {k: m for k, m in self.messages.items() if k not in gone}

    async def of_endpoint(self, endpoint_id: str, *, since: datetime | None = None) -> list[Delivery]:
        """Return an endpoint's deliveries, newest first."""
        found = [
            (d, created)
            for d, created in self.items.values()
            if d.endpoint_id == endpoint_id and (since is None or created >= since)
        ]
        return _copy([d for d, _ in sorted(found, key=lambda pair: pair[1], reverse=True)])


class MemoryMailRepository:
    """Staged e-mails and reminders in dictionaries."""

    def __init__(self) -> None:
        self.items: dict[str, StagedEmail] = {}
        self.reminders: dict[str, datetime] = {}

    async def stage(self, email: StagedEmail) -> bool:
        """Stage an e-mail; False when its key was staged before."""
        if email.key in self.items:
            return False
        self.items[email.key] = _copy(email)
        return True

    async def get(self, key: str) -> StagedEmail | None:
        """Return a staged e-mail."""
        return _copy(self.items.get(key))

    async def save(self, email: StagedEmail) -> None:
        """Store an e-mail's sending state."""
        self.items[email.key] = _copy(email)

    async def due(self, at: datetime, *, limit: int) -> list[StagedEmail]:
        """Return pending e-mails whose next attempt is due."""
        due = [
            e
            for e in self.items.values()
            if e.status == "pending" and e.next_attempt_at is not None and e.next_attempt_at <= at
        ]
        return _copy(sorted(due, key=lambda e: e.next_attempt_at or at)[:limit])

    async def last_reminder(self, organisation_id: str) -> datetime | None:
        """Return when the organisation was last reminded."""
        return self.reminders.get(organisation_id)

    async def reminded(self, organisation_id: str, at: datetime) -> None:
        """Remember a reminder."""
        self.reminders[organisation_id] = at

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete the e-mails about an organisation, and its reminders."""
        self.items = {k: e for k, e in self.items.items() if e.organisation_id != organisation_id}
        self.reminders.pop(organisation_id, None)


class MemoryPartnerFeedRepository:
    """Partners, grants and feeds in dictionaries."""

    def __init__(self) -> None:
        self.partners: dict[str, KnownPartner] = {}
        self.grants: dict[str, KnownGrant] = {}
        self.feeds: dict[str, list[FeedEvent]] = {}
        self.sequences: dict[str, int] = {}
        self.scored: dict[str, tuple[datetime, dict[str, Any]]] = {}

    async def partner(self, partner_id: str) -> KnownPartner | None:
        """Return a partner."""
        return self.partners.get(partner_id)

    async def save_partner(self, partner: KnownPartner) -> None:
        """Store a partner's state."""
        self.partners[partner.partner_id] = partner

    async def every_partner(self) -> list[KnownPartner]:
        """Return every known partner."""
        return list(self.partners.values())

    async def grant(self, grant_id: str) -> KnownGrant | None:
        """Return a grant."""
        return self.grants.get(grant_id)

    async def save_grant(self, grant: KnownGrant) -> None:
        """Store a grant's state."""
        self.grants[grant.grant_id] = grant

    async def grants_of(self, organisation_id: str) -> list[KnownGrant]:
        """Return an organisation's grants, ended ones too."""
        return [g for g in self.grants.values() if g.organisation_id == organisation_id]

    async def grants_with_kind(self, kind: str) -> list[KnownGrant]:
        """Return the grants naming a kind, ended ones too."""
        return [g for g in self.grants.values() if kind in g.event_kinds]

    async def append(self, event: FeedEvent) -> FeedEvent | None:
        """Put an event at the end of its partner's feed; None if it is there already."""
        feed = self.feeds.setdefault(event.partner_id, [])
        if any(e.event_id == event.event_id for e in feed):
            return None
        self.sequences[event.partner_id] = self.sequences.get(event.partner_id, 0) + 1
        stored = dataclasses.replace(event, sequence=self.sequences[event.partner_id])
        feed.append(stored)
        return stored

    async def page(self, partner_id: str, *, after: int, limit: int) -> list[FeedEvent]:
        """Return up to `limit` events of a partner's feed after a sequence number, in order."""
        return [e for e in self.feeds.get(partner_id, []) if e.sequence > after][:limit]

    async def remember_scored(
        self, organisation_id: str, scored_at: datetime, summary: dict[str, Any]
    ) -> None:
        """Keep an organisation's latest scorecard summary; an older one is ignored."""
        known = self.scored.get(organisation_id)
        if known is None or known[0] <= scored_at:
            self.scored[organisation_id] = (scored_at, _copy(summary))

    async def last_scored(self, organisation_id: str) -> tuple[datetime, dict[str, Any]] | None:
        """Return when the organisation's latest scorecard was made, and its summary."""
        return self.scored.get(organisation_id)

    async def forget_organisation(self, organisation_id: str, at: datetime) -> None:
        """End an erased organisation's grants, delete its feed events and its scorecard summary."""
        for grant in await self.grants_of(organisation_id):
            self.grants[grant.grant_id] = grant.ended(at)
        for partner_id, feed in self.feeds.items():
            self.feeds[partner_id] = [e for e in feed if e.organisation_id != organisation_id]
        self.scored.pop(organisation_id, None)


class MemoryWatchUnitOfWork(MemoryUnitOfWork, WatchUnitOfWork):
    """The watch repositories in memory; committed events are kept in `events`."""

    def __init__(self) -> None:
        super().__init__()
        self.organisations = MemoryOrganisationRepository()
        self.plans = MemoryPlanRepository()
        self.diagnostics = MemoryDiagnosticRepository()
        self.notices = MemoryNoticeRepository()
        self.alerts = MemoryAlertRepository()
        self.inbox = MemoryInboxRepository()
        self.preferences = MemoryPreferenceRepository()
        self.endpoints = MemoryEndpointRepository()
        self.deliveries = MemoryDeliveryRepository()
        self.mails = MemoryMailRepository()
        self.partner_feeds = MemoryPartnerFeedRepository()
        self.model_versions = MemoryModelVersions()
        self.probe_answers = MemoryProbeAnswers()
        self.revoked_keys = MemoryRevokedKeys()
