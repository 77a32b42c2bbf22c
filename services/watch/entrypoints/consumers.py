"""Events the watch service consumes, and the handler of each."""

from __future__ import annotations

from services.watch.domain.deliveries import RetrySchedule
from services.watch.service_layer import consuming
from services.watch.service_layer.mailings import MailLinks
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
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
from shared.replicas import brings_model_version, remember_revoked_key, remember_revoked_respondent


def subscription(schedule: RetrySchedule, links: MailLinks | None = None) -> Subscription[WatchUnitOfWork]:
    """Return the topics and handlers of the watch consumer group."""
    return (
        Subscription[WatchUnitOfWork](events_topic("assessment"), events_topic("scoring"))
        .on(ProbeRequested, probe_responder("watch"))
        .on(ApiKeyRevoked, remember_revoked_key)
        .on(RespondentRevoked, remember_revoked_respondent)
        .on(ModelPublished, consuming.model_published, satisfies=brings_model_version)
        .on(OrganisationRegistered, consuming.organisation_registered)
        .on(OrganisationUpdated, consuming.organisation_updated)
        .on(OrganisationErased, consuming.organisation_erased)
        .on(DiagnosticScored, consuming.diagnostic_scored(schedule, links))
        .on(DiagnosticWithdrawn, consuming.diagnostic_withdrawn(schedule, links))
        .on(AccountOpened, consuming.account_opened)
        .on(AccountPlanChanged, consuming.plan_changed)
    )
