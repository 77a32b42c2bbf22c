"""`dimm replay`: publish again what the services published since a moment (kept in their outboxes).

Each service keeps the events it published for a retention window (`outbox_retention_hours`).
Replaying makes those rows pending again in the service's own database; the service's relay then
sends them once more, in their original order and with their original ids, so consumers that
already handled them see duplicates and do nothing, and those that never received them catch up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from shared.messaging.outbox import OUTBOX_COLLECTION, replay_outbox
from shared.mongo import create_client

_DURATION = re.compile(r"^(?P<amount>\d+)\s*(?P<unit>[smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """Read `--since`: a duration back from now (`90s`, `30m`, `2h`, `7d`) or an ISO 8601 moment."""
    now = now or datetime.now(UTC)
    found = _DURATION.match(text.strip())
    if found:
        return now - timedelta(**{_UNITS[found["unit"]]: int(found["amount"])})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"--since {text!r}: give a duration (30m, 2h, 7d) or an ISO 8601 time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > now:
        raise ValueError(f"--since {text!r} is in the future")
    return moment


async def replay(
    mongodb_url: str, databases: dict[str, str], *, since: datetime, types: Sequence[str] = ()
) -> dict[str, int]:
    """Make each service's rows published since `since` pending again; return the count per service."""
    client = create_client(mongodb_url, app_name="dimm-replay")
    try:
        return {
            service: await replay_outbox(client[database][OUTBOX_COLLECTION], since=since, types=types)
            for service, database in databases.items()
        }
    finally:
        await client.close()
