"""A synthetic probe: one event sent through every service, answered by each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from shared.aggregate import Aggregate
from shared.events.contracts.probe import ANSWERING_SERVICES, ProbeRequested

ProbeStatus = Literal["pending", "complete"]


@dataclass(frozen=True)
class ProbeAnswer:
    """What one service said about a probe, and how many times it said it."""

    service: str
    received_at: datetime
    answered_at: datetime
    deliveries: int

    def round_trip_seconds(self, requested_at: datetime) -> float:
        """Return the time from the request to the answer reaching assessment."""
        return max(0.0, (self.received_at - requested_at).total_seconds())


@dataclass
class Probe(Aggregate):
    """A probe request and the answers received so far."""

    probe_id: str
    requested_at: datetime
    expected: tuple[str, ...]
    answers: dict[str, ProbeAnswer] = field(default_factory=dict)

    @classmethod
    def request(cls, probe_id: str, *, at: datetime) -> Probe:
        """Ask every answering service for a round trip."""
        probe = cls(probe_id, at, ANSWERING_SERVICES)
        probe.record(ProbeRequested(probe_id=probe_id, requested_at=at), subject=probe_id)
        return probe

    @property
    def missing(self) -> list[str]:
        """List the services that have not answered yet."""
        return [service for service in self.expected if service not in self.answers]

    @property
    def status(self) -> ProbeStatus:
        """Say whether every expected service answered."""
        return "pending" if self.missing else "complete"
