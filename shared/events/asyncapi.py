"""The AsyncAPI 3 message of an event contract as it travels: CloudEvents headers, key, payload, example.

Everything comes from the contracts (`shared.events.contracts`) and the envelope's encoding
(`shared.events.envelope`); `shared.messaging.asyncapi` puts the messages on their topics.
A producer's schemas are strict (what it writes); a consumer's are tolerant (what it reads: unknown
fields and headers are ignored, older types are upcast).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from shared.events.envelope import CONTENT_TYPE, SPEC_VERSION, Event, subject_fields, subject_of

Schema = dict[str, Any]
KAFKA_BINDING_VERSION = "0.5.0"
CORRELATION_HEADER = "ce_correlationid"
_CORRELATION_NOTE = (
    "carried from the HTTP request (`X-Correlation-ID`) or from the event that caused this one,"
    " through to the next event; absent when the work had none"
)
#: Where the correlation id travels: a CloudEvents extension attribute, so a `ce_` header.
CORRELATION_ID: Schema = {
    "description": f"The correlation id, {_CORRELATION_NOTE}.",
    "location": f"$message.header#/{CORRELATION_HEADER}",
}
CORRELATION_ID_REF: Schema = {"$ref": "#/components/correlationIds/correlationId"}
_TRACEPARENT = r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"
_EXAMPLE_TIME = "2026-11-26T09:30:01.250000+00:00"
_EXAMPLE_CORRELATION = "4bf92f3577b34da6a3ce929d0e0e4736"
_EXAMPLE_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


class _ContractSchemas(GenerateJsonSchema):
    """Strict schemas for what is written (serialization), tolerant ones for what is read (validation)."""

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        if self.mode == "validation" and json_schema.get("additionalProperties") is False:
            del json_schema["additionalProperties"]  # a tolerant reader ignores the fields it does not know
        return json_schema


def payload_schemas(
    written: Iterable[type[Event]], read: Iterable[type[Event]]
) -> tuple[dict[type[Event], Schema], dict[str, Schema]]:
    """Return a reference to each contract's payload schema, and the schemas they refer to."""
    inputs = [(event, "serialization") for event in written] + [(event, "validation") for event in read]
    refs, definitions = models_json_schema(
        inputs,  # type: ignore[arg-type]
        ref_template="#/components/schemas/{model}",
        schema_generator=_ContractSchemas,
    )
    return {model: ref for (model, _), ref in refs.items()}, definitions.get("$defs", {})  # type: ignore[misc]


def text(description: str, **schema: Any) -> Schema:
    """Return the schema of a string (every Kafka header value is one, in UTF-8)."""
    return {"type": "string", "description": description, **schema}


def one_of(values: Sequence[str]) -> Schema:
    """Return the keywords that allow only these values."""
    return {"const": values[0]} if len(values) == 1 else {"enum": list(values)}


def header_properties(*, sources: Sequence[str], types: Sequence[str], reading: bool) -> Schema:
    """Describe the CloudEvents attributes of events of `types` from `sources` as Kafka headers."""
    return {
        "ce_specversion": text("CloudEvents version.", const=SPEC_VERSION),
        "ce_id": text(
            "Event id; with ce_source, the key consumers deduplicate on (redeliveries keep it).",
            **({"minLength": 1} if reading else {"format": "uuid"}),
        ),
        "ce_source": text("The producing service.", **one_of(sources)),
        "ce_type": text("Event type; a breaking change gets a new major version.", **one_of(types)),
        "ce_time": text("When the event happened (RFC 3339).", format="date-time"),
        "ce_subject": text("What the event is about; also the record key, so its events stay in order."),
        "content-type": text(
            "Media type of the record value (CloudEvents `datacontenttype`).", const=CONTENT_TYPE
        ),
        CORRELATION_HEADER: text(f"Correlation id (extension attribute), {_CORRELATION_NOTE}.", minLength=1),
        "ce_traceparent": text(
            "W3C trace context the event was staged in (CloudEvents distributed-tracing extension).",
            pattern=_TRACEPARENT,
        ),
        "ce_tracestate": text("W3C tracestate that goes with ce_traceparent.", minLength=1, maxLength=512),
    }


def event_headers(
    event: type[Event], *, source: str, older_types: Sequence[str] = (), reading: bool
) -> Schema:
    """Return the headers schema of an event: CloudEvents 1.0 in Kafka binary mode, UTF-8 values."""
    required = ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"]
    if not reading:
        required.append("content-type")  # a reader takes a missing one as JSON
        if event.subject_template is not None:
            required.append("ce_subject")
    schema: Schema = {
        "type": "object",
        "description": "CloudEvents 1.0 attributes as `ce_` headers (Kafka protocol binding, binary mode).",
        "properties": header_properties(
            sources=[source], types=[event.event_type, *older_types], reading=reading
        ),
        "required": required,
    }
    if not reading:
        schema["additionalProperties"] = False
    return schema


def key_schema(event: type[Event]) -> Schema:
    """Return the record key's schema: the event's subject, UTF-8."""
    fields = ", ".join(f"`{name}`" for name in sorted(subject_fields(event)))
    description = "The CloudEvents subject (same as ce_subject), UTF-8"
    if event.subject_template is not None:
        description += f": `{event.subject_template}` from the payload's {fields}"
    schema = text(description + ". One subject's events keep their order on one partition.")
    example = example_payload(event)
    if event.subject_template is not None and example is not None:
        schema["examples"] = [subject_of(event.subject_template, example)]
    return schema


def example_payload(event: type[Event]) -> dict[str, Any] | None:
    """Return the first example the contract carries, if any."""
    extra = event.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    return dict(examples[0]) if isinstance(examples, list) and examples else None  # type: ignore[arg-type]


def example_headers(event: type[Event], *, source: str, subject: str | None) -> dict[str, str]:
    """Return the headers an example of the event travels with (a fixed id and time, for stable output)."""
    headers = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{source}#{event.event_type}")),
        "ce_source": source,
        "ce_type": event.event_type,
        "ce_time": _EXAMPLE_TIME,
        "content-type": CONTENT_TYPE,
        CORRELATION_HEADER: _EXAMPLE_CORRELATION,
        "ce_traceparent": _EXAMPLE_TRACEPARENT,
    }
    if subject is not None:
        headers["ce_subject"] = subject
    return headers


def _summary(event: type[Event]) -> str:
    return (event.__doc__ or event.__name__).strip().splitlines()[0]


def event_message(
    event: type[Event], *, source: str, payload: Schema, reading: bool, older_types: Sequence[str] = ()
) -> Schema:
    """Return the AsyncAPI message of an event, as its producer writes it or as a consumer reads it."""
    example = example_payload(event)
    subject = subject_of(event.subject_template, example) if example and event.subject_template else None
    role = (
        "Read as a tolerant reader: unknown fields and headers are ignored"
        + (f", older types ({', '.join(older_types)}) are upcast." if older_types else ".")
        if reading
        else "Written strictly to the contract, from the producer's transactional outbox."
    )
    message: Schema = {
        "name": event.event_type,
        "title": event.__name__,
        "summary": _summary(event),
        "description": f"{(event.__doc__ or '').strip()}\n\n{role}",
        "contentType": CONTENT_TYPE,
        "headers": event_headers(event, source=source, older_types=older_types, reading=reading),
        "payload": payload,
        "correlationId": CORRELATION_ID_REF,
        "bindings": {"kafka": {"key": key_schema(event), "bindingVersion": KAFKA_BINDING_VERSION}},
    }
    if example is not None:
        headers = example_headers(event, source=source, subject=subject)
        message["examples"] = [
            {"name": event.__name__, "summary": _summary(event), "headers": headers, "payload": example}
        ]
    return message
