"""One trace from the HTTP submission, through scoring, back to assessment, on the real stack."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared.events.contracts.assessment import DiagnosticSubmitted
from shared.events.contracts.scoring import DiagnosticScored
from shared.messaging.topics import events_topic
from shared.model.editions import SME_PROFILE
from shared.tracing import configure_tracing
from tests.integration.conftest import V1, new_tenant, submitted_diagnostic

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
SUBMIT_ROUTE = f"{V1}/diagnostics/{{diagnostic_id}}/submit"


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """Record the spans of the process's tracer provider (installed once, with no exporter of its own)."""
    provider = configure_tracing(service="tests", otlp_endpoint=None)
    if provider is None:
        pytest.skip("OTEL_SDK_DISABLED is set: no spans to look at")
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    # The processor stays on the provider (it cannot be removed); a shut exporter keeps nothing.
    exporter.shutdown()


def _span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.span_id


def _children(spans: tuple[ReadableSpan, ...], parent: ReadableSpan, name: str) -> list[ReadableSpan]:
    return [
        s
        for s in spans
        if s.name == name
        and s.kind is SpanKind.CONSUMER
        and s.parent is not None
        and s.parent.span_id == _span_id(parent)
    ]


class TestOneTrace:
    async def test_submission_scoring_and_the_scored_status_share_one_trace(
        self, spans: InMemorySpanExporter, http: httpx.AsyncClient, scoring: FastAPI
    ) -> None:
        tenant = await new_tenant(http)
        _, diag = await submitted_diagnostic(tenant, dict.fromkeys(SME_PROFILE, 3))
        deadline = asyncio.get_running_loop().time() + 30
        while (await tenant.call("GET", f"{V1}/diagnostics/{diag}")).json()["status"] != "scored":
            assert asyncio.get_running_loop().time() < deadline, "assessment never marked it scored"
            await asyncio.sleep(0.1)

        finished = spans.get_finished_spans()
        [request] = [
            s
            for s in finished
            if s.kind is SpanKind.SERVER and (s.attributes or {}).get("http.route") == SUBMIT_ROUTE
        ]
        assert (request.attributes or {}).get("dimm.service") == "assessment"
        [scored] = _children(finished, request, f"{DiagnosticSubmitted.event_type} process")
        assert (scored.attributes or {}).get("messaging.destination.name") == events_topic("assessment")
        assert (scored.attributes or {}).get("messaging.consumer.group.name") == "dimm.scoring"
        [back] = _children(finished, scored, f"{DiagnosticScored.event_type} process")
        assert (back.attributes or {}).get("messaging.consumer.group.name") == "dimm.assessment"
        trace_ids = {s.context.trace_id for s in (request, scored, back) if s.context is not None}
        assert len(trace_ids) == 1
        # The relay, long after the request, published the submitted event as part of it too.
        [published] = [
            s
            for s in finished
            if s.kind is SpanKind.PRODUCER and s.parent is not None and s.parent.span_id == _span_id(request)
        ]
        assert published.name == f"{DiagnosticSubmitted.event_type} publish"

    async def test_probes_and_metrics_are_not_traced(
        self, spans: InMemorySpanExporter, http: httpx.AsyncClient
    ) -> None:
        for path in ("healthz", "readyz", "metrics"):
            assert (await http.get(f"/assessment/{path}")).status_code == 200
        routes = {(s.attributes or {}).get("http.route") for s in spans.get_finished_spans()}
        assert not routes & {f"/assessment/{p}" for p in ("healthz", "readyz", "metrics")}
