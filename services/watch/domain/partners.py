"""Partner feeds: who may receive an event, and the event as the partner contract shapes it.

An event about an organisation goes to a partner only when the organisation held a live grant
to that partner, for that kind, at the time of the event, and the partner is active and may
receive the kind. A sector study (aggregates only) goes to a partner holding a live
`study.published` grant of an organisation of that sector. Each partner's copy of an event has an
id derived from the source event, so a redelivered source event is the same feed event again,
never a second one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.watch.domain.organisations import WatchedOrganisation
from shared.events.contracts.partner import PARTNER_EVENTS, PartnerOrganisation
from shared.events.envelope import Event

_FEED_NAMESPACE = uuid.UUID("6f1d1a52-6a0e-4bd5-9c61-2f6b8f7c2a10")


@dataclass(frozen=True)
class KnownPartner:
    """A partner as assessment announced it."""

    partner_id: str
    name: str
    event_kinds: tuple[str, ...]
    active: bool
    changed_at: datetime

    def receives(self, kind: str) -> bool:
        """Tell whether the partner is active and may receive this kind."""
        return self.active and kind in self.event_kinds

    def newer(self, other: KnownPartner) -> KnownPartner:
        """Return the newer of two announcements (an older one arriving late changes nothing)."""
        return other if other.changed_at >= self.changed_at else self


@dataclass(frozen=True)
class KnownGrant:
    """An organisation's grant to a partner, as assessment announced it."""

    grant_id: str
    partner_id: str
    organisation_id: str
    event_kinds: tuple[str, ...]
    given_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    backfill: bool = False

    def carries(self, kind: str, at: datetime) -> bool:
        """Tell whether an event of this kind at `at` passes: given before, not yet revoked nor expired."""
        if kind not in self.event_kinds or at < self.given_at:
            return False
        if self.revoked_at is not None and at >= self.revoked_at:
            return False
        return self.expires_at is None or at < self.expires_at

    def ended(self, at: datetime) -> KnownGrant:
        """Return the grant revoked at `at` (the earliest revocation wins)."""
        if self.revoked_at is not None and self.revoked_at <= at:
            return self
        return replace(self, revoked_at=at)


def recipients(
    kind: str, at: datetime, grants: Iterable[KnownGrant], partners: dict[str, KnownPartner]
) -> list[str]:
    """Return the partners an event of this kind at `at` goes to, each once, in id order."""
    chosen = {
        g.partner_id
        for g in grants
        if g.carries(kind, at) and (p := partners.get(g.partner_id)) is not None and p.receives(kind)
    }
    return sorted(chosen)


@dataclass(frozen=True)
class FeedEvent:
    """One event on one partner's feed; `sequence` orders the partner's pull feed (set when stored)."""

    event_id: str
    partner_id: str
    kind: str
    organisation_id: str | None
    time: datetime
    data: dict[str, Any]
    sequence: int = 0

    @property
    def type(self) -> str:
        """Give the versioned event type of the partner contract."""
        return PARTNER_EVENTS[self.kind].event_type

    def payload(self) -> Event:
        """Return the contract's event (strict: only documented fields)."""
        return PARTNER_EVENTS[self.kind].model_validate(self.data)


def kind_of(event: Event) -> str:
    """Name the kind of a partner contract's event (what grants name)."""
    return next(k for k, model in PARTNER_EVENTS.items() if isinstance(event, model))


def feed_event(
    partner_id: str, source_key: str, event: Event, *, organisation_id: str | None, at: datetime
) -> FeedEvent:
    """Make a partner's copy of an event; the same source event always gives the same id."""
    kind = kind_of(event)
    # A UUID, as every CloudEvents id of the platform: the same on the topic, the pull feed and webhooks.
    event_id = str(uuid.uuid5(_FEED_NAMESPACE, f"{partner_id}|{kind}|{source_key}"))
    return FeedEvent(event_id, partner_id, kind, organisation_id, at, event.model_dump(mode="json"))


def partner_organisation(organisation: WatchedOrganisation) -> PartnerOrganisation:
    """Describe an organisation as the partner contract does (no account, no people)."""
    return PartnerOrganisation(
        name=organisation.name,
        sector=organisation.sector,
        size_band=organisation.size_band,
        region=organisation.region,
        organisation_type=organisation.organisation_type,
    )
