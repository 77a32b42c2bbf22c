"""Aggregates record the events their changes cause; a unit of work collects and emits them."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.events.envelope import Event
from shared.events.trace_context import TraceContext


@dataclass(frozen=True)
class Recorded:
    """An event an aggregate recorded, with the subject (Kafka key) it is about."""

    event: Event
    subject: str | None
    #: The trace the event was staged in, set by the unit of work that collects it.
    trace: TraceContext | None = None
    #: The correlation id of the work that staged it (a consumer's is gone by the time it commits).
    correlation_id: str | None = None
    #: Another topic than the service's own (a partner's feed); None: the service's topic.
    topic: str | None = None
    #: The CloudEvents id to give the event (the same on every feed it goes out on); None: a new one.
    event_id: str | None = None

    def __post_init__(self) -> None:
        # The AsyncAPI documents the record key from the contract: a different subject would make it lie.
        expected = self.event.contract_subject()
        if expected is not None and self.subject != expected:
            raise ValueError(
                f"{self.event.event_type} is keyed by {self.event.subject_template!r}:"
                f" expected subject {expected!r}, got {self.subject!r}"
            )


@dataclass
class Aggregate:
    """Base of the aggregates: a change records its event, nothing is published from here."""

    _recorded: list[Recorded] = field(default_factory=list, init=False, repr=False, compare=False)

    def record(self, event: Event, *, subject: str | None) -> None:
        """Remember an event caused by a change of this aggregate."""
        self._recorded.append(Recorded(event, subject))

    def pull_events(self) -> list[Recorded]:
        """Hand over the recorded events (once) to whoever commits the change."""
        events, self._recorded = self._recorded, []
        return events
