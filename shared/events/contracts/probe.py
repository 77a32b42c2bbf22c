"""Synthetic probe events: prove that an event travels through every service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.events.envelope import Event, EventRegistry, with_example

ANSWERING_SERVICES = ("scoring", "benchmark", "watch")
PROBE_EXAMPLE: dict[str, Any] = {
    "probe_id": "41c16da4325642c9bd3140f391017603",
    "requested_at": "2026-11-26T09:30:00.120000Z",
}


def _answer_example(service: str) -> dict[str, Any]:
    return {**PROBE_EXAMPLE, "service": service, "received_at": "2026-11-26T09:30:00.356000Z"}


class ProbeRequested(Event):
    """Emitted by assessment when an operator (or `dimm doctor`) asks for a round trip."""

    model_config = with_example(PROBE_EXAMPLE)
    event_type = "dimm.assessment.probe.requested.v1"
    subject_template = "{probe_id}"

    probe_id: str
    requested_at: datetime


class ProbeAnswered(Event):
    """Base of the answers: a service received a probe and says so on its own topic."""

    event_type = "dimm.probe.answered.v1"
    subject_template = "{probe_id}"

    probe_id: str
    service: str
    requested_at: datetime
    received_at: datetime


class ScoringProbeAnswered(ProbeAnswered):
    """Emitted by scoring when it received a probe."""

    model_config = with_example(_answer_example("scoring"))
    event_type = "dimm.scoring.probe.answered.v1"


class BenchmarkProbeAnswered(ProbeAnswered):
    """Emitted by benchmark when it received a probe."""

    model_config = with_example(_answer_example("benchmark"))
    event_type = "dimm.benchmark.probe.answered.v1"


class WatchProbeAnswered(ProbeAnswered):
    """Emitted by watch when it received a probe."""

    model_config = with_example(_answer_example("watch"))
    event_type = "dimm.watch.probe.answered.v1"


ANSWERED: dict[str, type[ProbeAnswered]] = {
    "scoring": ScoringProbeAnswered,
    "benchmark": BenchmarkProbeAnswered,
    "watch": WatchProbeAnswered,
}


def register(registry: EventRegistry) -> None:
    """Register the probe events."""
    registry.register(ProbeRequested, *ANSWERED.values())
