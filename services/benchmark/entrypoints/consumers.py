"""Events the benchmark service consumes, and the handler of each."""

from __future__ import annotations

from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from shared.events.contracts.probe import ProbeRequested
from shared.messaging.subscription import Subscription
from shared.messaging.topics import events_topic
from shared.probe import probe_responder


def subscription() -> Subscription[BenchmarkUnitOfWork]:
    """Return the topics and handlers of the benchmark consumer group."""
    return Subscription[BenchmarkUnitOfWork](events_topic("assessment")).on(
        ProbeRequested, probe_responder("benchmark")
    )
