"""Events the assessment service consumes, and the handler of each."""

from __future__ import annotations

from services.assessment.metrics import AssessmentMetrics
from services.assessment.service_layer.probes import probe_answer_handler
from services.assessment.service_layer.scored import on_diagnostic_scored, on_scoring_failed
from shared.events.contracts.probe import ANSWERED
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed
from shared.messaging.consumer import Subscription
from shared.messaging.topics import events_topic


def subscription(metrics: AssessmentMetrics) -> Subscription:
    """Return the topics and handlers of the assessment consumer group."""
    on_answer = probe_answer_handler(metrics)
    return Subscription(
        topics=tuple(events_topic(service) for service in ANSWERED),
        handlers={
            **{model.event_type: on_answer for model in ANSWERED.values()},
            DiagnosticScored.event_type: on_diagnostic_scored,
            DiagnosticScoringFailed.event_type: on_scoring_failed,
        },
    )
