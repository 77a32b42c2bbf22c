"""Digests: the period a digest covers, its idempotency key, and the items it gathers."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from services.watch.domain.inbox import SEVERITIES, InboxItem, Severity
from shared.errors import InvalidInput

PARIS = ZoneInfo("Europe/Paris")
DigestCadence = Literal["daily", "weekly"]

_DIGEST_NAMESPACE = uuid.UUID("0d3f7b8e-6c1a-4b52-8f0e-7a9d2c4e5b13")


@dataclass(frozen=True)
class Period:
    """A span of local calendar days a digest covers; `start` and `end` are in UTC, `end` excluded."""

    cadence: DigestCadence
    first_day: date
    last_day: date
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        """Name the period the way people do: `2025-06-27` for a day, `2025-W26` for an ISO week."""
        if self.cadence == "daily":
            return self.first_day.isoformat()
        year, week, _ = self.first_day.isocalendar()
        return f"{year}-W{week:02d}"

    def contains(self, at: datetime) -> bool:
        """Tell whether a moment falls in the period."""
        return self.start <= at < self.end


@dataclass(frozen=True)
class SeverityGroup:
    """The items of one organisation at one severity, oldest first."""

    severity: Severity
    items: tuple[InboxItem, ...]


@dataclass(frozen=True)
class OrganisationGroup:
    """The items of one organisation, most severe first."""

    organisation_id: str
    severities: tuple[SeverityGroup, ...]


@dataclass(frozen=True)
class Digest:
    """What one subscriber gets for one period: items grouped by organisation, then severity."""

    period: Period
    organisations: tuple[OrganisationGroup, ...]

    @property
    def items(self) -> tuple[InboxItem, ...]:
        """List every item in the order the digest shows them."""
        return tuple(
            item for group in self.organisations for severity in group.severities for item in severity.items
        )


def digest_period(cadence: str, at: datetime, tz: ZoneInfo = PARIS) -> Period:
    """Give the last whole period before a send time: the day before, or the ISO week before."""
    if at.tzinfo is None:
        raise InvalidInput("A digest's send time must carry its time zone.")
    today = at.astimezone(tz).date()
    if cadence == "daily":
        return _period("daily", today - timedelta(days=1), today, tz)
    if cadence == "weekly":
        this_monday = today - timedelta(days=today.weekday())
        return _period("weekly", this_monday - timedelta(weeks=1), this_monday, tz)
    raise InvalidInput(f"Only daily and weekly cadences have digests, not {cadence!r}.")


def _period(cadence: DigestCadence, first_day: date, end_day: date, tz: ZoneInfo) -> Period:
    # Midnight exists once in Europe/Paris (changes happen at 02:00/03:00); UTC bounds keep
    # comparisons and durations exact across a change of offset.
    start = datetime.combine(first_day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(end_day, time(0), tzinfo=tz).astimezone(UTC)
    return Period(cadence, first_day, end_day - timedelta(days=1), start, end)


def digest_key(account_id: str, channel: str, period: Period) -> str:
    """Name the digest of a subscriber, channel and period: one send per key, whatever the retries."""
    return str(uuid.uuid5(_DIGEST_NAMESPACE, f"{account_id}|{channel}|{period.cadence}|{period.label}"))


def group(
    items: Iterable[InboxItem],
    period: Period,
    *,
    at: datetime,
    already_sent: Collection[str] = frozenset(),
    unread_only: bool = False,
) -> Digest | None:
    """Gather the items of a period still visible at send time; None when there is nothing to send."""
    chosen = [
        item
        for item in items
        if period.contains(item.created_at)
        and item.visible(at)
        and item.id not in already_sent
        and (item.unread or not unread_only)
    ]
    if not chosen:
        return None
    organisations = sorted({item.organisation_id for item in chosen})
    return Digest(period, tuple(_organisation(org, chosen) for org in organisations))


def _organisation(organisation_id: str, items: list[InboxItem]) -> OrganisationGroup:
    mine = sorted(
        (i for i in items if i.organisation_id == organisation_id), key=lambda i: (i.created_at, i.id)
    )
    groups = (SeverityGroup(s, tuple(i for i in mine if i.severity == s)) for s in SEVERITIES)
    return OrganisationGroup(organisation_id, tuple(g for g in groups if g.items))
