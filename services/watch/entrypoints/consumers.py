"""Events the watch service consumes, and the handler of each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from services.watch.domain.deliveries import RetrySchedule
from services.watch.service_layer import consuming, partners
from services.watch.service_layer.mailings import MailLinks
from services.watch.service_layer.partners import PartnerTopics
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.events.contracts.assessment import (
    AccountOpened,
    AccountPlanChanged,
    ApiKeyRevoked,
    DiagnosticWithdrawn,
    OrganisationErased,
    OrganisationRegistered,
    OrganisationUpdated,
    PartnerGrantGiven,
    PartnerGrantRevoked,
    PartnerRegistered,
    PartnerUpdated,
    RespondentRevoked,
)
from shared.events.contracts.benchmark import StudyPublished
from shared.events.contracts.catalogue import ModelPublished
from shared.events.contracts.probe import ProbeRequested
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed
from shared.messaging.subscription import Subscription
from shared.messaging.topics import events_topic
from shared.probe import probe_responder
from shared.replicas import brings_model_version, remember_revoked_key, remember_revoked_respondent

E = TypeVar("E")


def in_turn(
    *handlers: Callable[[E, WatchUnitOfWork], Awaitable[None]],
) -> Callable[[E, WatchUnitOfWork], Awaitable[None]]:
    """Run several handlers of one event, in order, in the same unit of work."""

    async def handle(event: E, uow: WatchUnitOfWork) -> None:
        for handler in handlers:
            await handler(event, uow)

    return handle


def subscription(
    schedule: RetrySchedule, links: MailLinks | None = None, *, topics: PartnerTopics
) -> Subscription[WatchUnitOfWork]:
    """Return the topics and handlers of the watch consumer group."""
    partner_known = partners.partner_known(topics)
    return (
        Subscription[WatchUnitOfWork](
            events_topic("assessment"), events_topic("scoring"), events_topic("benchmark")
        )
        .on(ProbeRequested, probe_responder("watch"))
        .on(ApiKeyRevoked, remember_revoked_key)
        .on(RespondentRevoked, remember_revoked_respondent)
        .on(ModelPublished, consuming.model_published, satisfies=brings_model_version)
        .on(OrganisationRegistered, consuming.organisation_registered)
        .on(OrganisationUpdated, consuming.organisation_updated)
        .on(OrganisationErased, consuming.organisation_erased)
        .on(
            DiagnosticScored,
            in_turn(consuming.diagnostic_scored(schedule, links), partners.diagnostic_scored(schedule)),
        )
        .on(DiagnosticScoringFailed, partners.scoring_failed(schedule))
        .on(StudyPublished, partners.study_published(schedule))
        .on(PartnerRegistered, partner_known)
        .on(PartnerUpdated, partner_known)
        .on(PartnerGrantGiven, partners.grant_given(schedule))
        .on(PartnerGrantRevoked, partners.grant_revoked)
        .on(DiagnosticWithdrawn, consuming.diagnostic_withdrawn(schedule, links))
        .on(AccountOpened, consuming.account_opened)
        .on(AccountPlanChanged, consuming.plan_changed)
    )
