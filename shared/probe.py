"""Answer synthetic probes: the same behaviour in every service that is not assessment."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.events.contracts.probe import ANSWERED, ProbeRequested
from shared.messaging.consumer import Handler, UnitOfWork

PROBE_ANSWERS = "probe_answers"
PROBE_STATS = "probe_stats"


def probe_responder(service: str) -> Handler:
    """Return the handler that records a probe and answers it on the service's own topic."""
    answered = ANSWERED[service]

    async def on_probe_requested(event: ProbeRequested, uow: UnitOfWork) -> None:
        now = datetime.now(UTC)
        await uow.db[PROBE_ANSWERS].insert_one(
            {"_id": event.probe_id, "event_id": uow.envelope.id, "received_at": now}, session=uow.session
        )
        await uow.db[PROBE_STATS].update_one(
            {"_id": ProbeRequested.event_type},
            {"$inc": {"count": 1}, "$set": {"last_received_at": now}},
            upsert=True,
            session=uow.session,
        )
        reply = answered(
            probe_id=event.probe_id, service=service, requested_at=event.requested_at, received_at=now
        )
        await uow.emit(reply, subject=event.probe_id)

    return on_probe_requested
