"""What the watch use cases need from storage: repository protocols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from services.watch.domain.alerts import Alert
from services.watch.domain.deliveries import Delivery, Message
from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.domain.endpoints import Endpoint
from services.watch.domain.inbox import InboxItem
from services.watch.domain.mailings import StagedEmail
from services.watch.domain.notices import Notice
from services.watch.domain.organisations import WatchedOrganisation
from services.watch.domain.partners import FeedEvent, KnownGrant, KnownPartner
from services.watch.domain.preferences import Preferences


class OrganisationRepository(Protocol):
    """Organisations as assessment announced them."""

    async def get(self, organisation_id: str) -> WatchedOrganisation | None:
        """Return an organisation (an erased one is a tombstone)."""

    async def save(self, organisation: WatchedOrganisation) -> None:
        """Store an organisation's state."""


class DiagnosticRepository(Protocol):
    """Scored diagnostics still standing, and the index of each organisation's latest one."""

    async def add(self, diagnostic: WatchedDiagnostic) -> bool:
        """Store a scored diagnostic; False when it was already there or withdrawn."""

    async def withdraw(self, diagnostic_id: str) -> str | None:
        """Mark a diagnostic withdrawn (it cannot come back); return its organisation if known."""

    async def of_organisation(self, organisation_id: str) -> list[WatchedDiagnostic]:
        """Return an organisation's diagnostics that are not withdrawn."""

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete every diagnostic of an erased organisation, and its index entry."""

    async def set_latest(self, organisation_id: str, diagnostic: WatchedDiagnostic | None) -> None:
        """Index an organisation's latest diagnostic (None: it has none any more)."""

    async def latest(self, organisation_id: str) -> WatchedDiagnostic | None:
        """Return the indexed latest diagnostic of an organisation."""

    async def every_latest(self) -> list[WatchedDiagnostic]:
        """Return every organisation's latest diagnostic."""

    async def candidates(self, notice: Notice) -> list[WatchedDiagnostic]:
        """Return the latest diagnostics the index cannot rule out for a notice (the notice decides)."""


class NoticeRepository(Protocol):
    """Change notices: the shipped catalogue, the operators' and the model's."""

    async def get(self, notice_id: str) -> Notice | None:
        """Return a notice."""

    async def add(self, notice: Notice) -> bool:
        """Store a new notice; False when its id exists already."""

    async def save(self, notice: Notice) -> None:
        """Store a notice's new state."""

    async def listed(self, *, status: str | None = None, kind: str | None = None) -> list[Notice]:
        """Return notices, newest first."""

    async def published(self) -> list[Notice]:
        """Return the published notices (those a new diagnostic is matched against)."""

    async def pending_fan_out(self) -> list[str]:
        """Return the published notices whose organisations are not all alerted yet."""

    async def mark_fanned_out(self, notice_id: str) -> None:
        """Remember that every organisation a notice targets was alerted."""


class AlertRepository(Protocol):
    """One alert per organisation and notice."""

    async def get(self, alert_id: str) -> Alert | None:
        """Return an alert."""

    async def save(self, alert: Alert, *, impact: dict[str, Any] | None = None) -> None:
        """Store an alert's state (created if new), with what its notice means for the organisation."""

    async def of_organisation(self, organisation_id: str, *, status: str | None = None) -> list[Alert]:
        """Return an organisation's alerts, newest first."""

    async def of_notice(self, notice_id: str) -> list[Alert]:
        """Return a notice's alerts."""

    async def impact(self, alert_id: str) -> dict[str, Any] | None:
        """Return what the notice means for the organisation, if known."""

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete an erased organisation's alerts."""


class InboxRepository(Protocol):
    """Inbox items of the subscribers."""

    async def get(self, item_id: str) -> InboxItem | None:
        """Return an item."""

    async def add(self, item: InboxItem) -> bool:
        """Store a new item; False when its id exists already (a repeated effect)."""

    async def save(self, item: InboxItem) -> None:
        """Store an item's new state."""

    async def of_account(self, account_id: str, *, archived: bool = False) -> list[InboxItem]:
        """Return an account's items, newest first."""

    async def created_between(self, account_id: str, start: datetime, end: datetime) -> list[InboxItem]:
        """Return an account's items created in [start, end)."""

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete an erased organisation's items."""


class PreferenceRepository(Protocol):
    """Subscribers' channels and cadences."""

    async def get(self, account_id: str) -> Preferences | None:
        """Return an account's preferences, if set."""

    async def save(self, account_id: str, preferences: Preferences) -> None:
        """Store an account's preferences."""

    async def subscribers(self) -> list[str]:
        """Return the accounts with preferences."""


class EndpointRepository(Protocol):
    """Webhook endpoints of the subscribers."""

    async def get(self, endpoint_id: str) -> Endpoint | None:
        """Return an endpoint."""

    async def save(self, endpoint: Endpoint) -> None:
        """Store an endpoint's state (created if new)."""

    async def delete(self, endpoint_id: str) -> None:
        """Delete an endpoint."""

    async def of_account(self, account_id: str) -> list[Endpoint]:
        """Return an account's endpoints."""


class DeliveryRepository(Protocol):
    """Webhook messages to deliver, one delivery per message and endpoint, each with its attempts."""

    async def add(self, delivery: Delivery, message: Message, *, organisation_id: str | None = None) -> bool:
        """Store a new message and its delivery; False when the delivery exists already."""

    async def message(self, message_id: str) -> Message | None:
        """Return a message."""

    async def get(self, message_id: str, endpoint_id: str) -> Delivery | None:
        """Return a delivery."""

    async def save(self, delivery: Delivery) -> None:
        """Store a delivery's state."""

    async def due(self, at: datetime, *, limit: int) -> Sequence[Delivery]:
        """Return pending deliveries whose next attempt is due, oldest first."""

    async def of_endpoint(self, endpoint_id: str, *, since: datetime | None = None) -> list[Delivery]:
        """Return an endpoint's deliveries, newest first."""

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete the messages about an erased organisation, and their deliveries."""


class MailRepository(Protocol):
    """E-mails staged for sending, and the re-diagnosis reminders sent."""

    async def stage(self, email: StagedEmail) -> bool:
        """Stage an e-mail; False when its key was staged before."""

    async def get(self, key: str) -> StagedEmail | None:
        """Return a staged e-mail."""

    async def save(self, email: StagedEmail) -> None:
        """Store an e-mail's sending state."""

    async def due(self, at: datetime, *, limit: int) -> list[StagedEmail]:
        """Return pending e-mails whose next attempt is due."""

    async def last_reminder(self, organisation_id: str) -> datetime | None:
        """Return when the organisation was last reminded to diagnose again."""

    async def reminded(self, organisation_id: str, at: datetime) -> None:
        """Remember a reminder."""

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete the e-mails about an erased organisation, and its reminders."""


class PartnerFeedRepository(Protocol):
    """Partners and grants as assessment announced them, and each partner's feed of events."""

    async def partner(self, partner_id: str) -> KnownPartner | None:
        """Return a partner."""

    async def save_partner(self, partner: KnownPartner) -> None:
        """Store a partner's state."""

    async def every_partner(self) -> list[KnownPartner]:
        """Return every known partner."""

    async def grant(self, grant_id: str) -> KnownGrant | None:
        """Return a grant."""

    async def save_grant(self, grant: KnownGrant) -> None:
        """Store a grant's state."""

    async def grants_of(self, organisation_id: str) -> list[KnownGrant]:
        """Return an organisation's grants, ended ones too."""

    async def grants_with_kind(self, kind: str) -> list[KnownGrant]:
        """Return the grants naming a kind, ended ones too."""

    async def append(self, event: FeedEvent) -> FeedEvent | None:
        """Put an event at the end of its partner's feed (its sequence set); None if it is there already."""

    async def page(self, partner_id: str, *, after: int, limit: int) -> list[FeedEvent]:
        """Return up to `limit` events of a partner's feed after a sequence number, in order."""

    async def remember_scored(
        self, organisation_id: str, scored_at: datetime, summary: dict[str, Any]
    ) -> None:
        """Keep an organisation's latest scorecard summary (a grant's backfill); an older one is ignored."""

    async def last_scored(self, organisation_id: str) -> tuple[datetime, dict[str, Any]] | None:
        """Return when the organisation's latest scorecard was made, and its summary."""

    async def forget_organisation(self, organisation_id: str, at: datetime) -> None:
        """End an erased organisation's grants, delete its feed events and its scorecard summary."""
