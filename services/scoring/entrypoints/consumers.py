"""Events the scoring service consumes, and the handler of each."""

from __future__ import annotations

from services.scoring.service_layer.peers import keep_snapshot
from services.scoring.service_layer.scoring import (
    forget_organisation,
    report_scoring_failure,
    score_submission,
    withdraw_scorecard,
)
from services.scoring.service_layer.unit_of_work import ScoringUnitOfWork
from shared.events.contracts.assessment import (
    ApiKeyRevoked,
    DiagnosticSubmitted,
    DiagnosticWithdrawn,
    OrganisationErased,
    RespondentRevoked,
)
from shared.events.contracts.benchmark import SnapshotPublished
from shared.events.contracts.catalogue import ModelPublished
from shared.events.contracts.probe import ProbeRequested
from shared.messaging.subscription import Subscription
from shared.messaging.topics import events_topic
from shared.probe import probe_responder
from shared.replicas import (
    brings_model_version,
    keep_published_model,
    remember_revoked_key,
    remember_revoked_respondent,
)


def subscription() -> Subscription[ScoringUnitOfWork]:
    """Return the topics and handlers of the scoring consumer group."""
    return (
        Subscription[ScoringUnitOfWork](events_topic("assessment"), events_topic("benchmark"))
        .on(ProbeRequested, probe_responder("scoring"))
        .on(ModelPublished, keep_published_model, satisfies=brings_model_version)
        .on(DiagnosticSubmitted, score_submission, give_up=report_scoring_failure)
        .on(DiagnosticWithdrawn, withdraw_scorecard)
        .on(OrganisationErased, forget_organisation)
        .on(ApiKeyRevoked, remember_revoked_key)
        .on(RespondentRevoked, remember_revoked_respondent)
        .on(SnapshotPublished, keep_snapshot)
    )
