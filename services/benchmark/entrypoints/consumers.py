"""Events the benchmark service consumes, and the handler of each."""

from __future__ import annotations

from services.benchmark.service_layer import consuming
from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from shared.events.contracts.assessment import (
    AccountOpened,
    AccountPlanChanged,
    ApiKeyRevoked,
    DiagnosticWithdrawn,
    OrganisationErased,
    OrganisationRegistered,
    OrganisationUpdated,
    RespondentRevoked,
)
from shared.events.contracts.catalogue import ModelPublished
from shared.events.contracts.probe import ProbeRequested
from shared.events.contracts.scoring import DiagnosticScored
from shared.messaging.subscription import Subscription
from shared.messaging.topics import events_topic
from shared.probe import probe_responder
from shared.replicas import (
    brings_model_version,
    keep_published_model,
    remember_revoked_key,
    remember_revoked_respondent,
)


def subscription() -> Subscription[BenchmarkUnitOfWork]:
    """Return the topics and handlers of the benchmark consumer group."""
    return (
        Subscription[BenchmarkUnitOfWork](events_topic("assessment"), events_topic("scoring"))
        .on(ProbeRequested, probe_responder("benchmark"))
        .on(ApiKeyRevoked, remember_revoked_key)
        .on(RespondentRevoked, remember_revoked_respondent)
        .on(ModelPublished, keep_published_model, satisfies=brings_model_version)
        .on(OrganisationRegistered, consuming.organisation_registered)
        .on(OrganisationUpdated, consuming.organisation_updated)
        .on(OrganisationErased, consuming.organisation_erased)
        .on(DiagnosticScored, consuming.diagnostic_scored)
        .on(DiagnosticWithdrawn, consuming.diagnostic_withdrawn)
        .on(AccountOpened, consuming.account_opened)
        .on(AccountPlanChanged, consuming.plan_changed)
    )
