"""Use cases of the synthetic probe: request round trips, record the answers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from pymongo.asynchronous.client_session import AsyncClientSession

from services.assessment.adapters.probes import ProbeRepository
from services.assessment.domain.probe import Probe
from services.assessment.metrics import AssessmentMetrics
from shared.errors import NotFound
from shared.events.contracts.probe import ANSWERING_SERVICES, ProbeAnswered, ProbeRequested
from shared.messaging.consumer import Handler, UnitOfWork
from shared.messaging.outbox import Outbox
from shared.mongo import Client, in_transaction, utc_now

logger = logging.getLogger(__name__)

PROBES_PER_TRANSACTION = 200


async def request_probes(
    count: int, *, client: Client, probes: ProbeRepository, outbox: Outbox, on_commit: Callable[[], None]
) -> list[Probe]:
    """Store `count` probes and stage their requested events, committed in chunks."""
    now = utc_now()
    created = [
        Probe(probe_id=uuid.uuid4().hex, requested_at=now, expected=ANSWERING_SERVICES) for _ in range(count)
    ]
    for start in range(0, len(created), PROBES_PER_TRANSACTION):
        chunk = created[start : start + PROBES_PER_TRANSACTION]

        async def work(session: AsyncClientSession, chunk: list[Probe] = chunk) -> None:
            await probes.add_many(chunk, session=session)
            events = [
                (ProbeRequested(probe_id=p.probe_id, requested_at=p.requested_at), p.probe_id) for p in chunk
            ]
            await outbox.add_many(events, session=session)

        await in_transaction(client, work)
        on_commit()
    return created


async def get_probe(probe_id: str, *, probes: ProbeRepository) -> Probe:
    """Return a probe with its answers, or raise NotFound."""
    probe = await probes.get(probe_id)
    if probe is None:
        raise NotFound(f"No probe {probe_id!r}.")
    return probe


def probe_answer_handler(metrics: AssessmentMetrics) -> Handler:
    """Return the handler that records a service's answer and its round-trip time."""

    async def on_probe_answered(event: ProbeAnswered, uow: UnitOfWork) -> None:
        now = datetime.now(UTC)
        probe = await ProbeRepository.in_database(uow.db).record_answer(
            event.probe_id,
            service=event.service,
            answered_at=event.received_at,
            received_at=now,
            session=uow.session,
        )
        if probe is None:
            logger.warning("answer from %s for unknown probe %s ignored", event.service, event.probe_id)
            return
        metrics.probe_round_trip.labels(event.service).set(
            probe.answers[event.service].round_trip_seconds(probe.requested_at)
        )
        metrics.probe_last_answer.labels(event.service).set(now.timestamp())

    return on_probe_answered
