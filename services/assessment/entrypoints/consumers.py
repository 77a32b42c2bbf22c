"""Events the assessment service consumes, and the handler of each."""

from __future__ import annotations

from services.assessment.metrics import AssessmentMetrics
from services.assessment.service_layer.probes import probe_answer_handler
from services.assessment.service_layer.scored import diagnostic_scored_handler, scoring_failed_handler
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.events.contracts.probe import ANSWERED
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed
from shared.messaging.subscription import Subscription
from shared.messaging.topics import events_topic


def subscription(metrics: AssessmentMetrics) -> Subscription[AssessmentUnitOfWork]:
    """Return the topics and handlers of the assessment consumer group."""
    on_answer = probe_answer_handler(metrics)
    consumed = Subscription[AssessmentUnitOfWork](*(events_topic(service) for service in ANSWERED))
    for answered in ANSWERED.values():
        consumed.on(answered, on_answer)
    consumed.on(DiagnosticScored, diagnostic_scored_handler(metrics))
    return consumed.on(DiagnosticScoringFailed, scoring_failed_handler(metrics))
