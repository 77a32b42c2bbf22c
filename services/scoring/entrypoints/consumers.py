"""Events the scoring service consumes, and the handler of each."""

from __future__ import annotations

from services.scoring.service_layer.consuming import (
    GIVE_UP,
    diagnostic_submitted_handler,
    model_published_handler,
    on_api_key_revoked,
    on_organisation_erased,
)
from shared.events.contracts.assessment import ApiKeyRevoked, DiagnosticSubmitted, OrganisationErased
from shared.events.contracts.catalogue import ModelPublished
from shared.events.contracts.probe import ProbeRequested
from shared.messaging.consumer import Subscription
from shared.messaging.topics import events_topic
from shared.model.schema import MaturityModel
from shared.probe import probe_responder


def subscription(models: dict[str, MaturityModel]) -> Subscription:
    """Return the topics and handlers of the scoring consumer group."""
    return Subscription(
        topics=(events_topic("assessment"),),
        handlers={
            ProbeRequested.event_type: probe_responder("scoring"),
            ModelPublished.event_type: model_published_handler(models),
            DiagnosticSubmitted.event_type: diagnostic_submitted_handler(models),
            OrganisationErased.event_type: on_organisation_erased,
            ApiKeyRevoked.event_type: on_api_key_revoked,
        },
        give_up=GIVE_UP,
    )
