"""OpenTelemetry traces: one tracer provider per process, W3C context carried by the events.

The context crosses the bus inside the events themselves (CloudEvents distributed-tracing
extension, `ce_traceparent`/`ce_tracestate` headers): it is captured when an event is staged,
kept in the outbox row, sent by the relay long after the request, and made the parent of the
consumer's span. Without an exporter configured the spans are still made (so the context is
carried and the logs name their trace) but none leaves the process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.events.envelope import Envelope
from shared.events.handling import WaitingFor
from shared.events.trace_context import TraceContext

logger = logging.getLogger(__name__)

# W3C trace context only: baggage could carry anything a caller put in it onto the bus.
_PROPAGATOR = TraceContextTextMapPropagator()
_SIGNAL_PATH = "/v1/traces"


def tracer(service: str) -> Tracer:
    """Return the tracer of one service (its instrumentation scope names the service)."""
    return trace.get_tracer(f"dimm.{service}")


def configure_tracing(*, service: str, otlp_endpoint: str | None) -> TracerProvider | None:
    """Install the process's tracer provider once; export over OTLP/HTTP only if an endpoint is set.

    Four services in one process (`dimm up`) share the provider and its `service.name`; their
    spans tell them apart by the `dimm.service` attribute and their instrumentation scope.
    """
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    name = os.environ.get("OTEL_SERVICE_NAME") or f"dimm-{service}"
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    traces_endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if otlp_endpoint or traces_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # The signal-specific variable is a full URL; the base endpoint gets the traces path.
        url = traces_endpoint or f"{(otlp_endpoint or '').rstrip('/')}{_SIGNAL_PATH}"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
        logger.info("traces exported over OTLP/HTTP to %s", url)
    trace.set_tracer_provider(provider)
    return provider


def instrument_http(app: FastAPI, *, service: str, prefix: str) -> None:
    """Trace every request to a service's app but its probes and metrics scrapes."""

    def name_the_service(span: Span, scope: dict[str, Any]) -> None:
        if span.is_recording():
            span.set_attribute("dimm.service", service)

    FastAPIInstrumentor.instrument_app(
        app,
        server_request_hook=name_the_service,
        # Regular expressions searched in the URL, separated by commas.
        excluded_urls=",".join(f"{prefix}/{path}(\\?.*)?$" for path in ("healthz", "readyz", "metrics")),
        # The ASGI send/receive spans only repeat the request's own timing.
        exclude_spans=["receive", "send"],
    )


def current_trace_context() -> TraceContext | None:
    """Return the W3C context of the active span, or None when no span is recording one."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return TraceContext.read(carrier.get("traceparent"), carrier.get("tracestate"))


def context_of(trace_context: TraceContext | None) -> Context:
    """Return the context to parent a span on; an empty one (a new trace) when none was carried."""
    if trace_context is None:
        return Context()
    carrier = {"traceparent": trace_context.traceparent}
    if trace_context.tracestate:
        carrier["tracestate"] = trace_context.tracestate
    return _PROPAGATOR.extract(carrier, context=Context())


def _event_attributes(envelope: Envelope, *, topic: str, operation: str) -> dict[str, str]:
    # Ids and types only: the subject and the data may name an organisation or a person.
    return {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.operation": operation,
        "messaging.operation.type": operation,
        "messaging.message.id": envelope.id,
        "cloudevents.event_id": envelope.id,
        "cloudevents.event_type": envelope.type,
        "cloudevents.event_source": envelope.source,
    }


@contextmanager
def processing(tracer: Tracer, envelope: Envelope, *, topic: str, group: str) -> Iterator[Span]:
    """Run the handling of one event under a CONSUMER span, child of the context it carried."""
    attributes = _event_attributes(envelope, topic=topic, operation="process")
    attributes["messaging.consumer.group.name"] = group
    with tracer.start_as_current_span(
        f"{envelope.type} process",
        context=context_of(envelope.trace),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except WaitingFor as waiting:
            # Parking is the consumer's normal path, not a failure.
            span.add_event("parked", {"dimm.waiting_for": waiting.dependency})
            raise
        except Exception as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


def publishing(tracer: Tracer, envelope: Envelope, *, topic: str) -> Span | None:
    """Start (not make current) the PRODUCER span of a relayed event, child of its staged context."""
    if envelope.trace is None:
        return None
    return tracer.start_span(
        f"{envelope.type} publish",
        context=context_of(envelope.trace),
        kind=SpanKind.PRODUCER,
        attributes=_event_attributes(envelope, topic=topic, operation="publish"),
    )
