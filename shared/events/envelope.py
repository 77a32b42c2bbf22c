"""CloudEvents 1.0 envelopes in Kafka binary mode, typed payloads and upcasting."""

from __future__ import annotations

import json
import string
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from shared.events.trace_context import TraceContext

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
Headers = Sequence[tuple[str, bytes]]


class Event(BaseModel):
    """Base of every event payload: frozen; a producer may not add a field the contract lacks."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    event_type: ClassVar[str]
    #: The CloudEvents subject, and so the Kafka record key, as a template over the payload's fields
    #: (`"{organisation_id}"`): one subject's events stay in order on one partition.
    subject_template: ClassVar[str | None] = None

    def contract_subject(self) -> str | None:
        """Return the subject the contract gives this event (None when it declares none)."""
        if self.subject_template is None:
            return None
        return subject_of(self.subject_template, self.model_dump(mode="json", include=subject_fields(self)))


def subject_fields(event: type[Event] | Event) -> set[str]:
    """Name the payload fields an event's subject is made of."""
    template = event.subject_template or ""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def subject_of(template: str, payload: dict[str, Any]) -> str:
    """Fill a subject template from a payload (a model's JSON form or a contract's example)."""
    return template.format_map(payload)


def with_example(example: dict[str, Any]) -> ConfigDict:
    """Return an event contract's configuration with its example (documented, and checked by a test)."""
    return ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [cast(JsonValue, example)]})


def event_source(service: str) -> str:
    """Name a service as the CloudEvents source of what it publishes."""
    return f"/dimm/{service}"


class InvalidEvent(ValueError):
    """A record that cannot be read as one of our events: never retried."""


@dataclass(frozen=True)
class Envelope:
    """One CloudEvent: the attributes travel as `ce_*` headers, the data as the record value."""

    id: str
    source: str
    type: str
    time: datetime
    data: dict[str, Any]
    subject: str | None = None
    correlation_id: str | None = None
    #: The trace the event was staged in (CloudEvents distributed-tracing extension).
    trace: TraceContext | None = None

    @property
    def dedupe_key(self) -> str:
        """Identify the event across redeliveries (CloudEvents: source + id)."""
        return f"{self.source}#{self.id}"


def new_envelope(
    event: Event,
    *,
    source: str,
    subject: str | None,
    correlation_id: str | None = None,
    trace: TraceContext | None = None,
    event_id: str | None = None,
) -> Envelope:
    """Wrap a payload in a fresh envelope (a new id unless `event_id`)."""
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=event.event_type,
        time=datetime.now(UTC),
        data=event.model_dump(mode="json"),
        subject=subject,
        correlation_id=correlation_id,
        trace=trace,
    )


@dataclass(frozen=True)
class KafkaRecord:
    """What goes on the wire: key, value and headers."""

    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class EventRegistry:
    """Know every event type, the payload model of each, and how to upcast older versions."""

    _models: dict[str, type[Event]] = field(default_factory=dict)
    _upcasters: dict[str, tuple[str, Upcaster]] = field(default_factory=dict)

    def register(self, *models: type[Event]) -> None:
        """Declare payload models by their event type."""
        for model in models:
            self._models[model.event_type] = model

    def upcaster(self, old_type: str, new_type: str) -> Callable[[Upcaster], Upcaster]:
        """Declare how a payload of `old_type` becomes one of `new_type`."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[old_type] = (new_type, fn)
            return fn

        return decorate

    def current_type(self, event_type: str) -> str:
        """Follow the upcasting chain from a type to the newest one."""
        seen = {event_type}
        while event_type in self._upcasters:
            event_type = self._upcasters[event_type][0]
            if event_type in seen:
                raise InvalidEvent(f"upcasting cycle at {event_type}")
            seen.add(event_type)
        return event_type

    def upcast(self, envelope: Envelope) -> Envelope:
        """Bring an envelope's data to the newest version of its type."""
        self.current_type(envelope.type)  # refuses a cycle before running any upcaster
        event_type, data = envelope.type, envelope.data
        while event_type in self._upcasters:
            event_type, fn = self._upcasters[event_type]
            data = fn(data)
        if event_type == envelope.type:
            return envelope
        return Envelope(**{**envelope.__dict__, "type": event_type, "data": data})

    def models(self) -> list[type[Event]]:
        """List the payload models, by type."""
        return [self._models[event_type] for event_type in sorted(self._models)]

    def older_types(self, event_type: str) -> list[str]:
        """List the older types a reader of `event_type` also accepts (they upcast to it)."""
        return sorted(old for old in self._upcasters if self.current_type(old) == event_type)

    def knows(self, event_type: str) -> bool:
        """Tell whether a type (or what it upcasts to) has a payload model."""
        return self.current_type(event_type) in self._models

    def payload(self, envelope: Envelope) -> Event:
        """Read an (upcast) envelope's data as a tolerant reader: fields it does not know are ignored."""
        current = self.upcast(envelope)
        model = self._models.get(current.type)
        if model is None:
            raise InvalidEvent(f"unknown event type {envelope.type!r}")
        try:
            # A producer's compatible addition must never break an older consumer.
            return model.model_validate(current.data, extra="ignore")
        except ValidationError as exc:
            raise InvalidEvent(
                f"{current.type} payload is invalid: {exc.error_count()} error(s): {exc}"
            ) from exc


def _header(headers: Headers, name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("utf-8") if value is not None else None
    return None


def _trace_headers(trace: TraceContext | None) -> list[tuple[str, bytes]]:
    if trace is None:
        return []
    headers = [("ce_traceparent", trace.traceparent.encode())]
    if trace.tracestate:
        headers.append(("ce_tracestate", trace.tracestate.encode()))
    return headers


def _read_trace(headers: Headers) -> TraceContext | None:
    """Read the trace headers tolerantly: unreadable ones are ignored, never an invalid event."""
    try:
        return TraceContext.read(_header(headers, "ce_traceparent"), _header(headers, "ce_tracestate"))
    except UnicodeDecodeError:
        return None


def encode(envelope: Envelope) -> KafkaRecord:
    """Encode an envelope in CloudEvents Kafka binary mode."""
    headers = [
        ("ce_specversion", SPEC_VERSION.encode()),
        ("ce_id", envelope.id.encode()),
        ("ce_source", envelope.source.encode()),
        ("ce_type", envelope.type.encode()),
        ("ce_time", envelope.time.isoformat().encode()),
        ("content-type", CONTENT_TYPE.encode()),
    ]
    if envelope.subject is not None:
        headers.append(("ce_subject", envelope.subject.encode()))
    if envelope.correlation_id:
        headers.append(("ce_correlationid", envelope.correlation_id.encode()))
    headers += _trace_headers(envelope.trace)
    value = json.dumps(envelope.data, ensure_ascii=False, separators=(",", ":")).encode()
    key = envelope.subject.encode() if envelope.subject is not None else None
    return KafkaRecord(key=key, value=value, headers=headers)


def decode(headers: Headers, value: bytes | None) -> Envelope:
    """Decode a binary-mode record; raise InvalidEvent for anything that is not one of ours."""
    try:
        attrs = {
            name: _header(headers, f"ce_{name}") for name in ("specversion", "id", "source", "type", "time")
        }
    except UnicodeDecodeError as exc:
        raise InvalidEvent("a ce_* header is not UTF-8") from exc
    missing = [name for name, val in attrs.items() if not val]
    if missing:
        raise InvalidEvent(f"missing CloudEvents attribute(s): {', '.join(missing)}")
    if attrs["specversion"] != SPEC_VERSION:
        raise InvalidEvent(f"unsupported specversion {attrs['specversion']!r}")
    content_type = _header(headers, "content-type") or CONTENT_TYPE
    if not content_type.startswith(CONTENT_TYPE):
        raise InvalidEvent(f"unsupported content-type {content_type!r}")
    try:
        time = datetime.fromisoformat(str(attrs["time"]))
        data = json.loads(value or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"unreadable time or data: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidEvent("event data must be a JSON object")
    return Envelope(
        id=str(attrs["id"]),
        source=str(attrs["source"]),
        type=str(attrs["type"]),
        time=time if time.tzinfo else time.replace(tzinfo=UTC),
        data=data,
        subject=_header(headers, "ce_subject"),
        correlation_id=_header(headers, "ce_correlationid"),
        trace=_read_trace(headers),
    )
