"""Traces across the bus: captured when an event is staged, sent by the relay, parenting the consumer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import CollectorRegistry

from shared.aggregate import Aggregate
from shared.events.contracts.probe import ProbeRequested
from shared.events.envelope import Envelope, decode, new_envelope
from shared.events.handling import WaitingFor
from shared.events.trace_context import TraceContext
from shared.messaging.metrics import MessagingMetrics
from shared.messaging.outbox import Outbox, OutboxRelay, outbox_document
from shared.tracing import configure_tracing, context_of, current_trace_context, processing
from shared.unit_of_work import MemoryUnitOfWork

NOW = datetime(2026, 11, 29, tzinfo=UTC)
CARRIED = TraceContext("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "congo=t61rcWkgMzE")
TOPIC = "dimm.test.events"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Record spans of a provider of the test's own: the process's global one is left alone."""
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


def _tracer(exporter: InMemorySpanExporter) -> Any:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("dimm.test")


class _Thing(Aggregate):
    pass


def _envelope(trace: TraceContext | None) -> Envelope:
    event = ProbeRequested(probe_id="p", requested_at=NOW)
    return new_envelope(event, source="/dimm/test", subject="p", trace=trace)


def _ids(span: ReadableSpan) -> tuple[str, str]:
    context = span.get_span_context()
    assert context is not None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


class TestCapture:
    def test_outside_any_span_there_is_no_context(self) -> None:
        assert current_trace_context() is None

    def test_inside_a_span_its_context_is_captured(self, spans: InMemorySpanExporter) -> None:
        with _tracer(spans).start_as_current_span("request"):
            captured = current_trace_context()
        assert captured is not None
        assert (captured.trace_id, captured.span_id) == _ids(spans.get_finished_spans()[0])

    def test_the_outbox_row_carries_the_context_of_the_active_span(self, spans: InMemorySpanExporter) -> None:
        outbox = Outbox(cast(Any, None), source="/dimm/test", topic=TOPIC)
        with _tracer(spans).start_as_current_span("request"):
            envelope = outbox.envelope(ProbeRequested(probe_id="p", requested_at=NOW), subject="p")
        row = outbox_document(envelope, TOPIC)
        trace_id, span_id = _ids(spans.get_finished_spans()[0])
        assert row["traceparent"].startswith(f"00-{trace_id}-{span_id}-")
        assert row["tracestate"] is None

    @pytest.mark.asyncio
    async def test_the_unit_of_work_captures_when_staging_not_at_commit(self) -> None:
        contexts = iter([CARRIED, None])
        uow = MemoryUnitOfWork(trace_context=lambda: next(contexts, None))
        async with uow:
            uow.emit(ProbeRequested(probe_id="p", requested_at=NOW), subject="p")
            await uow.commit()
        assert uow.events[0].trace == CARRIED

    @pytest.mark.asyncio
    async def test_collected_events_take_the_context_of_the_collection(self) -> None:
        thing = _Thing()
        uow = MemoryUnitOfWork(trace_context=lambda: CARRIED)
        async with uow:
            thing.record(ProbeRequested(probe_id="p", requested_at=NOW), subject="p")
            uow.collect(thing)
            await uow.commit()
        assert [r.trace for r in uow.events] == [CARRIED]


class TestConsumerSpan:
    def test_the_span_is_a_child_of_the_context_the_event_carried(self, spans: InMemorySpanExporter) -> None:
        envelope = _envelope(CARRIED)
        with processing(_tracer(spans), envelope, topic=TOPIC, group="dimm.test"):
            emitted = current_trace_context()
        [span] = spans.get_finished_spans()
        assert span.kind is SpanKind.CONSUMER
        assert span.name == f"{ProbeRequested.event_type} process"
        assert span.parent is not None
        assert f"{span.parent.span_id:016x}" == CARRIED.span_id
        assert _ids(span)[0] == CARRIED.trace_id
        assert emitted is not None
        assert (emitted.span_id, emitted.tracestate) == (_ids(span)[1], CARRIED.tracestate)
        assert dict(span.attributes or {}) == {
            "messaging.system": "kafka",
            "messaging.destination.name": TOPIC,
            "messaging.operation": "process",
            "messaging.operation.type": "process",
            "messaging.message.id": envelope.id,
            "messaging.consumer.group.name": "dimm.test",
            "cloudevents.event_id": envelope.id,
            "cloudevents.event_type": ProbeRequested.event_type,
            "cloudevents.event_source": "/dimm/test",
        }

    def test_an_event_without_context_starts_a_new_trace(self, spans: InMemorySpanExporter) -> None:
        tracer = _tracer(spans)
        with (
            tracer.start_as_current_span("unrelated work"),
            processing(tracer, _envelope(None), topic=TOPIC, group="dimm.test"),
        ):
            pass
        consumer = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.CONSUMER)
        assert consumer.parent is None

    def test_a_failing_handler_marks_the_span_as_an_error(self, spans: InMemorySpanExporter) -> None:
        with (
            pytest.raises(RuntimeError),
            processing(_tracer(spans), _envelope(CARRIED), topic=TOPIC, group="dimm.test"),
        ):
            raise RuntimeError("boom")
        [span] = spans.get_finished_spans()
        assert span.status.status_code is StatusCode.ERROR
        assert [e.name for e in span.events] == ["exception"]

    def test_parking_is_not_an_error(self, spans: InMemorySpanExporter) -> None:
        with (
            pytest.raises(WaitingFor),
            processing(_tracer(spans), _envelope(CARRIED), topic=TOPIC, group="dimm.test"),
        ):
            raise WaitingFor("model:2.0.0")
        [span] = spans.get_finished_spans()
        assert span.status.status_code is StatusCode.UNSET
        assert [e.name for e in span.events] == ["parked"]

    def test_context_of_nothing_is_an_empty_context(self) -> None:
        assert dict(context_of(None)) == {}


class _Rows:
    """The outbox collection as the relay reads it: find, sort, limit, to_list; then marking."""

    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs

    def find(self, _: Any = None) -> _Rows:
        return self

    def sort(self, *_: Any) -> _Rows:
        return self

    def limit(self, _: int) -> _Rows:
        return self

    async def to_list(self, _: Any) -> list[dict[str, Any]]:
        return list(self.docs)

    async def update_many(self, selector: Any, update: Any) -> None:
        self.docs = []  # marked published: no longer pending

    async def count_documents(self, _: Any) -> int:
        return len(self.docs)


class _Lease:
    held, term, state = True, 0, None

    async def renew(self, *, state: Any) -> bool:
        return True


class _Sender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[tuple[str, bytes]]]] = []

    async def send(
        self, topic: str, value: bytes, *, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> asyncio.Future[Any]:
        self.sent.append((topic, headers))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


class TestRelay:
    @pytest.mark.asyncio
    async def test_the_relay_sends_the_staged_context_under_a_publish_span(
        self, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("shared.messaging.outbox.advance", lambda positions, published: positions)
        traced, untraced = _envelope(CARRIED), _envelope(None)
        sender = _Sender()
        relay = OutboxRelay(
            cast(Any, _Rows([outbox_document(traced, TOPIC), outbox_document(untraced, TOPIC)])),
            sender,
            lease=cast(Any, _Lease()),
            scanner=cast(Any, None),
            source="/dimm/test",
            topics=(TOPIC,),
            metrics=MessagingMetrics(CollectorRegistry()),
            tracer=_tracer(spans),
        )
        assert await relay.relay_once() == 2
        first, second = (dict(headers) for _, headers in sender.sent)
        assert first["ce_traceparent"] == CARRIED.traceparent.encode()
        assert first["ce_tracestate"] == b"congo=t61rcWkgMzE"
        assert "ce_traceparent" not in second
        assert decode(list(first.items()), b"{}").trace == CARRIED
        [span] = spans.get_finished_spans()
        assert (span.kind, span.name) == (SpanKind.PRODUCER, f"{ProbeRequested.event_type} publish")
        assert span.parent is not None
        assert f"{span.parent.span_id:016x}" == CARRIED.span_id


class _Exporter:
    """Stands for the OTLP exporter: remembers where it would send, sends nothing."""

    endpoints: ClassVar[list[str | None]] = []

    def __init__(self, endpoint: str | None = None) -> None:
        self.endpoints.append(endpoint)

    def export(self, spans: Any) -> Any:
        return None

    def shutdown(self) -> None:
        return None


class TestConfiguration:
    @pytest.fixture
    def installed(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
        """Capture what would become the process's provider, leaving the real global one alone."""
        providers: list[Any] = []
        monkeypatch.setattr("opentelemetry.trace.get_tracer_provider", lambda: (providers or [None])[-1])
        monkeypatch.setattr("opentelemetry.trace.set_tracer_provider", providers.append)
        monkeypatch.setattr(
            "opentelemetry.exporter.otlp.proto.http.trace_exporter.OTLPSpanExporter", _Exporter
        )
        for name in ("OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
            monkeypatch.delenv(name, raising=False)
        _Exporter.endpoints = []
        yield providers
        for provider in providers:
            provider.shutdown()

    def test_without_an_endpoint_spans_are_made_but_none_exported(self, installed: list[Any]) -> None:
        provider = configure_tracing(service="scoring", otlp_endpoint=None)
        assert installed == [provider]
        assert provider is not None
        assert provider.resource.attributes["service.name"] == "dimm-scoring"
        assert _Exporter.endpoints == []

    def test_an_endpoint_exports_to_its_traces_path(self, installed: list[Any]) -> None:
        configure_tracing(service="scoring", otlp_endpoint="http://jaeger:4318/")
        assert _Exporter.endpoints == ["http://jaeger:4318/v1/traces"]

    def test_the_signal_specific_variable_wins(
        self, installed: list[Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/custom")
        configure_tracing(service="scoring", otlp_endpoint="http://jaeger:4318")
        assert _Exporter.endpoints == ["http://collector:4318/custom"]

    def test_one_provider_per_process(self, installed: list[Any]) -> None:
        first = configure_tracing(service="platform", otlp_endpoint=None)
        assert configure_tracing(service="scoring", otlp_endpoint=None) is first
        assert len(installed) == 1

    def test_the_standard_service_name_variable_wins(
        self, installed: list[Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("OTEL_SERVICE_NAME", "dimm-eu-west")
        provider = configure_tracing(service="scoring", otlp_endpoint=None)
        assert provider is not None
        assert provider.resource.attributes["service.name"] == "dimm-eu-west"

    def test_the_sdk_can_be_switched_off(self, installed: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
        assert configure_tracing(service="scoring", otlp_endpoint=None) is None
        assert installed == []
