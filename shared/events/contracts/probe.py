"""Synthetic probe events: prove that an event travels through every service."""

from __future__ import annotations

from datetime import datetime

from shared.events.envelope import Event, EventRegistry

ANSWERING_SERVICES = ("scoring", "benchmark", "watch")


class ProbeRequested(Event):
    """Emitted by assessment when an operator (or `dimm doctor`) asks for a round trip."""

    event_type = "dimm.assessment.probe.requested.v1"

    probe_id: str
    requested_at: datetime


class ProbeAnswered(Event):
    """Base of the answers: a service received a probe and says so on its own topic."""

    event_type = "dimm.probe.answered.v1"

    probe_id: str
    service: str
    requested_at: datetime
    received_at: datetime


class ScoringProbeAnswered(ProbeAnswered):
    """Emitted by scoring when it received a probe."""

    event_type = "dimm.scoring.probe.answered.v1"


class BenchmarkProbeAnswered(ProbeAnswered):
    """Emitted by benchmark when it received a probe."""

    event_type = "dimm.benchmark.probe.answered.v1"


class WatchProbeAnswered(ProbeAnswered):
    """Emitted by watch when it received a probe."""

    event_type = "dimm.watch.probe.answered.v1"


ANSWERED: dict[str, type[ProbeAnswered]] = {
    "scoring": ScoringProbeAnswered,
    "benchmark": BenchmarkProbeAnswered,
    "watch": WatchProbeAnswered,
}


def register(registry: EventRegistry) -> None:
    """Register the probe events."""
    registry.register(ProbeRequested, *ANSWERED.values())
