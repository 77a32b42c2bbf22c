"""The AsyncAPI messages of a consumer group's dead-letter topic: the original record, plus `dlq_` headers.

`DeadLetters.send` keeps the original key, value and headers and adds the headers described here;
a test sends a record through it and validates what comes out against these schemas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from shared.events.asyncapi import (
    KAFKA_BINDING_VERSION,
    Schema,
    example_headers,
    example_payload,
    header_properties,
    one_of,
    text,
)
from shared.events.envelope import CONTENT_TYPE, Event, EventRegistry, event_source, subject_of
from shared.messaging.dead_letters import MAX_ERROR_HEADER, UNREADABLE, DeadLetterReason
from shared.messaging.topics import events_topic, producer_of

DEAD_LETTERED_EVENT = "DeadLetteredEvent"
DEAD_LETTERED_RECORD = "DeadLetteredRecord"
_COUNT = r"^[0-9]+$"
_READABLE = [reason for reason in get_args(DeadLetterReason) if reason != UNREADABLE]


def failure_properties(*, group: str, topics: Sequence[str], reasons: Sequence[str]) -> Schema:
    """Describe the `dlq_` headers a group adds to what it gives up on."""
    return {
        "dlq_reason": text("Why the record was given up.", **one_of(reasons)),
        "dlq_error": text("The last error, cut at its first characters.", maxLength=MAX_ERROR_HEADER),
        "dlq_attempts": text("How many attempts were made.", pattern=_COUNT),
        "dlq_group": text("The consumer group that gave up.", const=group),
        "dlq_topic": text("The topic the record was read from.", enum=list(topics)),
        "dlq_partition": text("Its partition there.", pattern=_COUNT),
        "dlq_offset": text("Its offset there.", pattern=_COUNT),
        "dlq_failed_at": text("When it was given up (RFC 3339).", format="date-time"),
    }


def _headers(failure: Schema, *, original: Schema, required: Sequence[str]) -> Schema:
    return {
        "type": "object",
        "description": "The original record's headers, then the `dlq_` headers saying why it is here.",
        "properties": {**original, **failure},
        "required": [*required, *failure],
        # Any other header is the original record's; no `dlq_` header but these is ever written.
        "propertyNames": {"anyOf": [{"not": {"pattern": "^dlq_"}}, {"enum": list(failure)}]},
    }


def _example_failure(*, group: str, topic: str, reason: str, error: str) -> dict[str, str]:
    return {
        "dlq_reason": reason,
        "dlq_error": error,
        "dlq_attempts": "1" if reason == UNREADABLE else "5",
        "dlq_group": group,
        "dlq_topic": topic,
        "dlq_partition": "0",
        "dlq_offset": "1842",
        "dlq_failed_at": "2026-11-26T09:31:12.004000+00:00",
    }


def _key(description: str, **schema: object) -> Schema:
    return {
        "kafka": {
            "key": {"description": f"The original record's key, unchanged: {description}", **schema},
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    }


def _event_example(group: str, event: type[Event]) -> Schema:
    payload = example_payload(event) or {}
    source = event_source(producer_of(event.event_type))
    template = event.subject_template
    original = example_headers(
        event, source=source, subject=subject_of(template, payload) if template else None
    )
    failure = _example_failure(
        group=group,
        topic=events_topic(producer_of(event.event_type)),
        reason="retries-exhausted",
        error="RuntimeError: the handler failed five times",
    )
    return {"name": f"{event.__name__}-dead-lettered", "headers": original | failure, "payload": payload}


def dead_lettered_event(
    group: str, consumed: Sequence[type[Event]], *, payloads: Sequence[Schema], registry: EventRegistry
) -> Schema:
    """Return the message of an event the group read but could not process."""
    types = sorted({t for e in consumed for t in (e.event_type, *registry.older_types(e.event_type))})
    producers = sorted({producer_of(event.event_type) for event in consumed})
    original = header_properties(sources=[event_source(p) for p in producers], types=types, reading=True)
    topics = [events_topic(producer) for producer in producers]
    return {
        "name": "dead-lettered-event",
        "title": DEAD_LETTERED_EVENT,
        "summary": "An event the group read but could not process: retries exhausted, a permanent error,"
        " or a dependency that never came.",
        "contentType": CONTENT_TYPE,
        "headers": _headers(
            failure_properties(group=group, topics=topics, reasons=_READABLE),
            original=original,
            required=["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"],
        ),
        "payload": {"description": "The original record's value, unchanged.", "anyOf": list(payloads)},
        "bindings": _key("the event's subject.", type="string"),
        "examples": [_event_example(group, consumed[0])],
    }


def dead_lettered_record(group: str, topics: Sequence[str]) -> Schema:
    """Return the message of a record the group could not read as one of the events it knows."""
    failure = _example_failure(
        group=group,
        topic=topics[0],
        reason=UNREADABLE,
        error="missing CloudEvents attribute(s): specversion, source, type, time",
    )
    return {
        "name": "dead-lettered-record",
        "title": DEAD_LETTERED_RECORD,
        "summary": "A record that is not one of our events: CloudEvents headers missing, data not JSON…",
        "headers": _headers(
            failure_properties(group=group, topics=topics, reasons=[UNREADABLE]), original={}, required=[]
        ),
        "payload": {"description": "The original record's value, byte for byte: it may not be JSON."},
        "bindings": _key("it may be absent, or not UTF-8."),
        "examples": [
            {"name": "unreadable-record", "headers": {"ce_id": "x"} | failure, "payload": "not json"}
        ],
    }
