"""Composition root of the watch service."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from services.watch.adapters.partner_topics import RuntimePartnerTopics
from services.watch.adapters.unit_of_work import MongoWatchUnitOfWork, ensure_indexes
from services.watch.domain.deliveries import RetrySchedule
from services.watch.entrypoints.consumers import subscription
from services.watch.metrics import WatchMetrics
from services.watch.service_layer.mailings import MailLinks
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from services.watch.settings import WatchSettings
from shared.adapters.replicas import ModelCache
from shared.auth import Access
from shared.events.contracts.partner import PARTNER_EVENTS, PARTNER_TOPIC
from shared.events.contracts.probe import WatchProbeAnswered
from shared.events.contracts.watch import (
    AlertChanged,
    NoticePublished,
    NoticeWithdrawn,
    OrganisationAffected,
    WebhookEndpointDisabled,
)
from shared.messaging.asyncapi import TopicFamily
from shared.metrics import service_registry
from shared.mongo_unit_of_work import Storage
from shared.replicas import consumer_access
from shared.runtime import ServiceRuntime
from shared.scheduling import SchedulerMetrics

Runtime = ServiceRuntime[WatchUnitOfWork]
PARTNER_FEEDS = TopicFamily(
    name="partnerEvents",
    address=PARTNER_TOPIC,
    parameter="partnerId",
    parameter_about="The partner's id (`ptn_…`): each partner reads its own topic only.",
    parameter_example="ptn_3c9e1f0a7b2d4e6f",
    events=tuple(PARTNER_EVENTS.values()),
    about=(
        "A partner's own feed: the events of organisations that granted it access, for the kinds"
        " granted, with no account id nor respondent data. The same events, with the same `ce_id`,"
        " are on its pull feed and its webhooks. Events already sent are not recalled when a grant"
        " is revoked. In the compose deployment each partner reads its topic with its own SASL"
        " credentials, an ACL keeping it there."
    ),
)
SCHEDULER_LEASE = "watch-scheduler"


@dataclass(frozen=True)
class Dependencies:
    """Everything the watch app needs, built once from its settings."""

    settings: WatchSettings
    registry: CollectorRegistry
    runtime: Runtime
    access: Access
    schedule: RetrySchedule
    links: MailLinks
    metrics: WatchMetrics
    scheduler_metrics: SchedulerMetrics
    partner_topics: RuntimePartnerTopics


def bootstrap(settings: WatchSettings) -> Dependencies:
    """Build the service's collaborators without doing any I/O."""
    registry = service_registry()
    models: ModelCache = {}
    schedule = RetrySchedule(compress=settings.webhook_retry_compress)
    links = MailLinks(settings.public_url)
    partner_topics = RuntimePartnerTopics(settings)

    def unit_of_work(storage: Storage) -> WatchUnitOfWork:
        return MongoWatchUnitOfWork(storage, models=models)

    runtime: Runtime = ServiceRuntime(
        settings,
        registry=registry,
        unit_of_work=unit_of_work,
        subscription=subscription(schedule, links, topics=partner_topics),
        index_setup=ensure_indexes,
        publishes=(
            NoticePublished,
            NoticeWithdrawn,
            OrganisationAffected,
            AlertChanged,
            WebhookEndpointDisabled,
            WatchProbeAnswered,
        ),
        families=(PARTNER_FEEDS,),
    )
    partner_topics.runtime = runtime
    return Dependencies(
        partner_topics=partner_topics,
        settings=settings,
        registry=registry,
        runtime=runtime,
        access=consumer_access(settings, runtime.unit_of_work),
        schedule=schedule,
        links=links,
        metrics=WatchMetrics(registry),
        scheduler_metrics=SchedulerMetrics(registry),
    )
