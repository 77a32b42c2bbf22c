"""Use cases of the synthetic probe: request round trips, record the answers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from services.assessment.domain.probes import Probe
from services.assessment.metrics import AssessmentMetrics
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.errors import NotFound
from shared.events.contracts.probe import ProbeAnswered
from shared.mongo import utc_now
from shared.unit_of_work import transactional

logger = logging.getLogger(__name__)

PROBES_PER_TRANSACTION = 200


async def request_probes(count: int, *, unit_of_work: Callable[[], AssessmentUnitOfWork]) -> list[Probe]:
    """Store `count` probes and stage their requested events, committed in chunks."""
    now = utc_now()
    created = [Probe.request(uuid.uuid4().hex, at=now) for _ in range(count)]
    for start in range(0, len(created), PROBES_PER_TRANSACTION):
        await _store(created[start : start + PROBES_PER_TRANSACTION], uow=unit_of_work())
    return created


@transactional
async def _store(probes: list[Probe], *, uow: AssessmentUnitOfWork) -> None:
    async with uow:
        await uow.probes.add_many(probes)
        uow.collect(*probes)
        await uow.commit()


async def get_probe(probe_id: str, *, uow: AssessmentUnitOfWork) -> Probe:
    """Return a probe with its answers, or raise NotFound."""
    probe = await uow.probes.get(probe_id)
    if probe is None:
        raise NotFound(f"No probe {probe_id!r}.")
    return probe


def probe_answer_handler(
    metrics: AssessmentMetrics,
) -> Callable[[ProbeAnswered, AssessmentUnitOfWork], Awaitable[None]]:
    """Return the handler that records a service's answer and its round-trip time."""

    async def on_probe_answered(event: ProbeAnswered, uow: AssessmentUnitOfWork) -> None:
        now = datetime.now(UTC)
        probe = await uow.probes.record_answer(
            event.probe_id, service=event.service, answered_at=event.received_at, received_at=now
        )
        if probe is None:
            logger.warning("answer from %s for unknown probe %s ignored", event.service, event.probe_id)
            return
        answer = probe.answers[event.service]
        if answer.deliveries == 1:  # one round trip per probe; a doubled answer shows on the probe
            metrics.probe_round_trip.labels(event.service).observe(
                answer.round_trip_seconds(probe.requested_at)
            )
        metrics.probe_last_answer.labels(event.service).set(now.timestamp())

    return on_probe_answered
