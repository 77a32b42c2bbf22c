"""Re-diagnosis reminders: one when the latest diagnostic grows old, then one every few months."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

REMIND_AFTER = timedelta(days=365)
REMIND_EVERY = timedelta(days=91)

_REMINDER_NAMESPACE = uuid.UUID("9b2e4c71-3d5a-4f08-b6c9-1e7a0d8f2a64")


def next_due_at(
    latest_scored_at: datetime,
    last_reminder_at: datetime | None,
    *,
    after: timedelta = REMIND_AFTER,
    every: timedelta = REMIND_EVERY,
) -> datetime:
    """Give when the next reminder falls due for an organisation's latest diagnostic."""
    first = latest_scored_at + after
    # A reminder sent before the latest diagnostic was about an older one: a newer diagnostic resets.
    if last_reminder_at is None or last_reminder_at < latest_scored_at:
        return first
    return max(first, last_reminder_at + every)


def due(
    latest_scored_at: datetime,
    last_reminder_at: datetime | None,
    now: datetime,
    *,
    after: timedelta = REMIND_AFTER,
    every: timedelta = REMIND_EVERY,
) -> bool:
    """Tell whether an organisation should be reminded to diagnose again now."""
    return now >= next_due_at(latest_scored_at, last_reminder_at, after=after, every=every)


def reminder_key(organisation_id: str, due_at: datetime) -> str:
    """Name the reminder of an organisation for one due date: the same on every run of the job."""
    # Whole UTC seconds, naive meaning UTC: that is how a date comes back from MongoDB.
    aware = due_at if due_at.tzinfo else due_at.replace(tzinfo=UTC)
    moment = aware.astimezone(UTC).replace(microsecond=0).isoformat()
    return str(uuid.uuid5(_REMINDER_NAMESPACE, f"{organisation_id}|{moment}"))
