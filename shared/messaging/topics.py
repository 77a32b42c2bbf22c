"""Topic names and their provisioning with kafka-python's admin client."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

logger = logging.getLogger(__name__)

SERVICES = ("assessment", "scoring", "benchmark", "watch")
HOUR_MS = 3_600_000
REPLICATION_FACTOR = 1
DLQ_RETENTION_HOURS = 24 * 30


def events_topic(service: str) -> str:
    """Name the one topic a service produces to."""
    return f"dimm.{service}.events"


def producer_of(event_type: str) -> str:
    """Name the service that publishes an event type (named `dimm.<service>.<entity>.<verb>.v<N>`)."""
    return event_type.split(".")[1]


def dead_letter_topic(consumer_group: str) -> str:
    """Name the dead-letter topic of a consumer group."""
    return f"{consumer_group}.dlq"


@dataclass(frozen=True)
class TopicSpec:
    """A topic to exist, with its partitions and retention."""

    name: str
    partitions: int
    retention_hours: int


def platform_topics(*, partitions: int, retention_hours: int) -> list[TopicSpec]:
    """List every topic of the platform: one per producing service, one DLQ per consumer group."""
    specs = [TopicSpec(events_topic(s), partitions, retention_hours) for s in SERVICES]
    specs += [TopicSpec(dead_letter_topic(f"dimm.{s}"), 1, DLQ_RETENTION_HOURS) for s in SERVICES]
    return specs


def service_topics(service: str, *, partitions: int, retention_hours: int) -> list[TopicSpec]:
    """List the platform's topics plus the service's own, should it not be one of the four."""
    specs = platform_topics(partitions=partitions, retention_hours=retention_hours)
    names = {spec.name for spec in specs}
    own = [
        TopicSpec(events_topic(service), partitions, retention_hours),
        TopicSpec(dead_letter_topic(f"dimm.{service}"), 1, DLQ_RETENTION_HOURS),
    ]
    return specs + [spec for spec in own if spec.name not in names]


def provision_topics(
    bootstrap_servers: str, specs: Iterable[TopicSpec], *, timeout_ms: int = 15_000
) -> list[str]:
    """Create the topics that do not exist yet; return the names created (blocking call)."""
    created, _ = check_topics(bootstrap_servers, specs, timeout_ms=timeout_ms)
    return created


def check_topics(
    bootstrap_servers: str,
    specs: Iterable[TopicSpec],
    *,
    identify: Iterable[str] = (),
    timeout_ms: int = 15_000,
) -> tuple[list[str], dict[str, str]]:
    """Create the missing topics, then read the broker's id of those in `identify` (one admin session).

    A topic deleted and created again gets a new id: that is how a service learns its broker lost it.
    """
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="dimm-provisioner", request_timeout_ms=timeout_ms
    )
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                spec.name,
                num_partitions=spec.partitions,
                replication_factor=REPLICATION_FACTOR,
                topic_configs={"retention.ms": str(spec.retention_hours * HOUR_MS)},
            )
            for spec in specs
            if spec.name not in existing
        ]
        created = [topic.name for topic in wanted]
        if wanted:
            try:
                admin.create_topics(wanted, timeout_ms=timeout_ms)
            except TopicAlreadyExistsError:
                logger.info("topics were created concurrently by another process")
            logger.info("provisioned topics %s", created)
        names = list(identify)
        described = admin.describe_topics(names) if names else []
    finally:
        admin.close()
    ids = {
        str(topic["name"]): str(topic["topic_id"])
        for topic in described
        if topic.get("error_code", 0) == 0 and topic.get("topic_id")
    }
    return created, ids
