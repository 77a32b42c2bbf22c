"""Events the watch service consumes, and the handler of each."""

from __future__ import annotations

from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.events.contracts.probe import ProbeRequested
from shared.messaging.subscription import Subscription
from shared.messaging.topics import events_topic
from shared.probe import probe_responder


def subscription() -> Subscription[WatchUnitOfWork]:
    """Return the topics and handlers of the watch consumer group."""
    return Subscription[WatchUnitOfWork](events_topic("assessment")).on(
        ProbeRequested, probe_responder("watch")
    )
