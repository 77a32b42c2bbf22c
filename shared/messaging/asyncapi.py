"""The AsyncAPI 3 document of a service, built from what it runs: its topics, consumer group and dead letters.

The inputs are the service's own registries: the contracts its outbox relays (`publishes`), its
typed subscription (topics and handled contracts), the event registry (upcasters) and its settings
(partitions, retention, consumer group). Nothing is written by hand, so the document follows the code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.events.asyncapi import (
    CORRELATION_ID,
    KAFKA_BINDING_VERSION,
    Schema,
    event_message,
    payload_schemas,
)
from shared.events.envelope import CONTENT_TYPE, Event, EventRegistry, event_source
from shared.messaging.asyncapi_dead_letters import (
    DEAD_LETTERED_EVENT,
    DEAD_LETTERED_RECORD,
    dead_lettered_event,
    dead_lettered_record,
)
from shared.messaging.subscription import Subscription
from shared.messaging.topics import (
    HOUR_MS,
    REPLICATION_FACTOR,
    TopicSpec,
    dead_letter_topic,
    events_topic,
    producer_of,
)
from shared.messaging.topics import service_topics as topic_specs
from shared.settings import ServiceSettings

ASYNCAPI_VERSION = "3.0.0"


@dataclass(frozen=True)
class TopicFamily:
    """Topics of one shape the service publishes to, one per recipient (a partner's own topic).

    `address` holds one parameter, e.g. `dimm.partner.{partnerId}.events`.
    """

    name: str
    address: str
    parameter: str
    parameter_about: str
    parameter_example: str
    events: tuple[type[Event], ...]
    about: str


def _ref(*path: str) -> Schema:
    return {"$ref": "#/" + "/".join(path)}


@dataclass
class _Parts:
    """The channels, operations and messages of a document, filled topic by topic."""

    specs: dict[str, TopicSpec]
    payloads: dict[type[Event], Schema]
    registry: EventRegistry
    channels: dict[str, Schema] = field(default_factory=dict)
    operations: dict[str, Schema] = field(default_factory=dict)
    messages: dict[str, Schema] = field(default_factory=dict)

    def add(
        self, topic: str, messages: dict[str, Schema], *, action: str, about: str, summary: str
    ) -> Schema:
        """Add a topic's channel, the messages on it and what the service does there; return the operation."""
        self.messages |= messages
        spec = self.specs[topic]
        self.channels[topic] = {
            "address": topic,
            "title": topic,
            "description": about,
            "messages": {name: _ref("components", "messages", name) for name in messages},
            "bindings": {
                "kafka": {
                    "topic": topic,
                    "partitions": spec.partitions,
                    "replicas": REPLICATION_FACTOR,
                    "topicConfiguration": {"retention.ms": spec.retention_hours * HOUR_MS},
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            },
        }
        operation: Schema = {
            "action": action,
            "summary": summary,
            "channel": _ref("channels", topic),
            "messages": [_ref("channels", topic, "messages", name) for name in messages],
        }
        self.operations[f"{action}.{topic}"] = operation
        return operation

    def publish(self, service: str, publishes: Sequence[type[Event]]) -> None:
        """Add the service's own topic with what its outbox relays."""
        written = {
            event.__name__: event_message(
                event, source=event_source(service), payload=self.payloads[event], reading=False
            )
            for event in publishes
        }
        about = f"Events of {service}, relayed in order from its transactional outbox."
        summary = f"{service} publishes its events."
        self.add(events_topic(service), written, action="send", about=about, summary=summary)

    def publish_family(
        self, service: str, family: TopicFamily, *, partitions: int, retention_hours: int
    ) -> None:
        """Add a family of topics (one channel, its address parameterised) and what the service sends."""
        written = {
            event.__name__: event_message(
                event, source=event_source(service), payload=self.payloads[event], reading=False
            )
            for event in family.events
        }
        self.messages |= written
        self.channels[family.name] = {
            "address": family.address,
            "title": family.address,
            "description": family.about,
            "parameters": {
                family.parameter: {
                    "description": family.parameter_about,
                    "examples": [family.parameter_example],
                }
            },
            "messages": {name: _ref("components", "messages", name) for name in written},
            "bindings": {
                "kafka": {
                    "partitions": partitions,
                    "replicas": REPLICATION_FACTOR,
                    "topicConfiguration": {"retention.ms": retention_hours * HOUR_MS},
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            },
        }
        self.operations[f"send.{family.name}"] = {
            "action": "send",
            "summary": f"{service} sends each recipient its own events.",
            "channel": _ref("channels", family.name),
            "messages": [_ref("channels", family.name, "messages", name) for name in written],
        }

    def consume(self, group: str, topic: str, consumed: Sequence[type[Event]]) -> None:
        """Add a topic the group reads, with the messages it handles there."""
        read = {
            event.__name__: event_message(
                event,
                source=event_source(producer_of(event.event_type)),
                payload=self.payloads[event],
                reading=True,
                older_types=self.registry.older_types(event.event_type),
            )
            for event in consumed
        }
        about = f"Read by {group}; the other event types on it are ignored."
        summary = f"{group} handles these events, each once."
        operation = self.add(topic, read, action="receive", about=about, summary=summary)
        operation["bindings"] = {
            "kafka": {"groupId": {"type": "string", "enum": [group]}, "bindingVersion": KAFKA_BINDING_VERSION}
        }

    def dead_letters(self, group: str, subscription: Subscription[Any]) -> None:
        """Add the group's dead-letter topic: what it could not read, and what it gave up on."""
        consumed = subscription.events
        messages = {
            DEAD_LETTERED_EVENT: dead_lettered_event(
                group, consumed, payloads=[self.payloads[e] for e in consumed], registry=self.registry
            ),
            DEAD_LETTERED_RECORD: dead_lettered_record(group, subscription.topics),
        }
        about = f"What {group} gave up on, with the original key, value and headers."
        summary = f"{group} dead-letters what it cannot process."
        self.add(dead_letter_topic(group), messages, action="send", about=about, summary=summary)


def _consume(parts: _Parts, group: str, subscription: Subscription[Any]) -> None:
    """Add the topics the group reads, with the handled messages, and its dead-letter topic."""
    on_topic: dict[str, list[type[Event]]] = {topic: [] for topic in subscription.topics}
    for event in subscription.events:
        topic = events_topic(producer_of(event.event_type))
        if topic not in on_topic:
            raise ValueError(f"{event.event_type} is handled but {topic} is not subscribed")
        on_topic[topic].append(event)
    for topic, consumed in on_topic.items():
        parts.consume(group, topic, consumed)
    parts.dead_letters(group, subscription)


def _info(service: str, group: str | None) -> Schema:
    consumes = (
        f" Consumer group `{group}` reads the channels of the receive operations; a record it cannot"
        f" process goes to `{dead_letter_topic(group)}` with `dlq_` headers."
        if group
        else ""
    )
    return {
        "title": f"DIMM {service} events",
        "version": "1.0.0",
        "description": (
            f"Topics the {service} service publishes and consumes. CloudEvents 1.0 in Kafka binary mode:"
            " the record value is the JSON data, the attributes travel as `ce_` headers and the key is"
            " the event's subject. Delivery is at least once: deduplicate on `ce_source` + `ce_id`."
            + consumes
        ),
    }


def service_document(
    service: str,
    *,
    settings: ServiceSettings,
    publishes: Sequence[type[Event]],
    subscription: Subscription[Any] | None,
    registry: EventRegistry,
    families: Sequence[TopicFamily] = (),
) -> dict[str, Any]:
    """Return the AsyncAPI 3.0 document of a service: what it publishes, consumes and dead-letters."""
    specs = topic_specs(
        service, partitions=settings.topic_partitions, retention_hours=settings.topic_retention_hours
    )
    consumed = subscription.events if subscription is not None else []
    sent = [event for family in families for event in family.events]
    payloads, schemas = payload_schemas([*publishes, *sent], consumed)
    parts = _Parts({spec.name: spec for spec in specs}, payloads, registry)
    parts.publish(service, publishes)
    for family in families:
        parts.publish_family(
            service,
            family,
            partitions=settings.topic_partitions,
            retention_hours=settings.topic_retention_hours,
        )
    if subscription is not None and consumed:
        _consume(parts, settings.consumer_group, subscription)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": _info(service, settings.consumer_group if consumed else None),
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": settings.kafka_bootstrap_servers.split(",")[0].strip(),
                "protocol": "kafka",
                "description": "The Kafka cluster of this deployment.",
            }
        },
        "channels": parts.channels,
        "operations": parts.operations,
        "components": {
            "schemas": schemas,
            "messages": parts.messages,
            "correlationIds": {"correlationId": CORRELATION_ID},
        },
    }
