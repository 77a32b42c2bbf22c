"""Events the scoring service consumes, and the handler of each."""

from __future__ import annotations

from shared.events.contracts.probe import ProbeRequested
from shared.messaging.consumer import Subscription
from shared.messaging.topics import events_topic
from shared.probe import probe_responder


def subscription() -> Subscription:
    """Return the topics and handlers of the scoring consumer group."""
    return Subscription(
        topics=(events_topic("assessment"),),
        handlers={ProbeRequested.event_type: probe_responder("scoring")},
    )
