"""Answer synthetic probes: the same behaviour in every service that is not assessment."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from shared.events.contracts.probe import ANSWERED, ProbeRequested
from shared.events.envelope import Event


class ProbeAnswers(Protocol):
    """Where a service records the probes it received."""

    async def record(self, probe_id: str, *, received_at: datetime) -> None:
        """Record a received probe and count it."""


class AnswersProbes(Protocol):
    """A unit of work that records received probes and emits events."""

    @property
    def probe_answers(self) -> ProbeAnswers: ...

    def emit(self, event: Event, *, subject: str | None) -> None: ...


def probe_responder(service: str) -> Callable[[ProbeRequested, AnswersProbes], Awaitable[None]]:
    """Return the handler that records a probe and answers it on the service's own topic."""
    answered = ANSWERED[service]

    async def on_probe_requested(event: ProbeRequested, uow: AnswersProbes) -> None:
        now = datetime.now(UTC)
        await uow.probe_answers.record(event.probe_id, received_at=now)
        reply = answered(
            probe_id=event.probe_id, service=service, requested_at=event.requested_at, received_at=now
        )
        uow.emit(reply, subject=event.probe_id)

    return on_probe_requested
