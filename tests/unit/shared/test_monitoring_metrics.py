"""Metrics the alerts read: consumer lag per partition, HTTP requests by route template and status."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx
import pytest
from aiokafka import TopicPartition
from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry

from shared.http_metrics import (
    STATUS_CLASSES,
    UNMATCHED,
    HttpMetrics,
    RequestMetricsMiddleware,
    status_class,
)
from shared.messaging.lag import KafkaLagReader, LagMetrics, LagMonitor, PartitionLag, lags


def _value(registry: CollectorRegistry, name: str, labels: dict[str, str]) -> float | None:
    return registry.get_sample_value(name, labels)


class TestLag:
    def test_lag_is_the_end_minus_what_the_group_committed(self) -> None:
        t = [TopicPartition("dimm.assessment.events", n) for n in range(4)]
        ends = {t[0]: 10, t[1]: 7, t[2]: 5, t[3]: 3}
        begins = {t[0]: 0, t[1]: 2, t[2]: 0, t[3]: 0}
        committed: dict[TopicPartition, int | None] = {t[0]: 4, t[1]: None, t[2]: -1, t[3]: 9}
        measured = {row.partition: row.lag for row in lags(ends, begins, committed)}
        # Nothing committed reads from the beginning; a committed offset past the end (a broker
        # that lost its topics) is no lag, never a negative one.
        assert measured == {0: 6, 1: 5, 2: 5, 3: 0}

    def test_a_committed_offset_before_the_retention_start_counts_from_the_start(self) -> None:
        assert PartitionLag("t", 0, end=100, committed=10, begin=60).lag == 40

    @pytest.mark.asyncio
    async def test_measurements_set_gauges_and_failures_are_counted_and_logged_once(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        class Reader(KafkaLagReader):
            def __init__(self, answers: list[list[PartitionLag] | Exception]) -> None:
                super().__init__("127.0.0.1:1", group="g", client_id="test")
                self.answers = answers

            async def read(self, topics: Sequence[str]) -> list[PartitionLag]:
                answer = self.answers.pop(0)
                if isinstance(answer, Exception):
                    raise answer
                return answer

        registry = CollectorRegistry()
        reader = Reader(
            [[PartitionLag("t", 0, end=12, committed=2, begin=0)], ConnectionError("down"), OSError("down")]
        )
        monitor = LagMonitor(reader, LagMetrics(registry), group="g", topics=("t",), interval_seconds=1)
        await monitor.measure_once()
        lag = {"group": "g", "topic": "t", "partition": "0"}
        assert _value(registry, "dimm_consumer_lag_records", lag) == 10
        assert _value(registry, "dimm_consumer_committed_offset", lag) == 2
        with caplog.at_level(logging.WARNING, logger="shared.messaging.lag"):
            await monitor.measure_once()
            await monitor.measure_once()
        assert _value(registry, "dimm_consumer_lag_failures_total", {"group": "g"}) == 2
        assert len([r for r in caplog.records if "not measured" in r.getMessage()]) == 1
        assert _value(registry, "dimm_consumer_lag_records", lag) == 10  # the last figure stays


class TestHttpMetrics:
    @pytest.fixture
    def app(self) -> tuple[FastAPI, CollectorRegistry]:
        registry = CollectorRegistry()
        app = FastAPI()
        app.add_middleware(RequestMetricsMiddleware, metrics=HttpMetrics(registry))

        # As the services are built: a router with its own prefix, included under the service's.
        router = APIRouter(prefix="/v1")

        @router.get("/things/{thing_id}")
        async def thing(thing_id: str) -> dict[str, str]:
            return {"id": thing_id}

        app.include_router(router, prefix="/svc")

        @app.get("/svc/v1/broken")
        async def broken() -> None:
            raise RuntimeError("boom")

        return app, registry

    @pytest.mark.asyncio
    async def test_requests_are_counted_by_route_template_and_status(
        self, app: tuple[FastAPI, CollectorRegistry]
    ) -> None:
        application, registry = app
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for thing in ("a", "b", "c"):
                assert (await client.get(f"/svc/v1/things/{thing}")).status_code == 200
            assert (await client.get("/nowhere/42")).status_code == 404
            assert (await client.get("/svc/v1/broken")).status_code == 500
        template = "/svc/v1/things/{thing_id}"
        ok = {"method": "GET", "route": template, "status_class": "2xx"}
        assert _value(registry, "dimm_http_requests_total", ok) == 3
        missing = {"method": "GET", "route": UNMATCHED, "status_class": "4xx"}
        assert _value(registry, "dimm_http_requests_total", missing) == 1
        failed = {"method": "GET", "route": "/svc/v1/broken", "status_class": "5xx"}
        assert _value(registry, "dimm_http_requests_total", failed) == 1
        assert _value(registry, "dimm_http_request_duration_seconds_count", ok) == 3
        assert _value(registry, "dimm_http_request_duration_seconds_count", failed) == 1
        # No caller's path (ids) ever becomes a label.
        routes = {s.labels["route"] for m in registry.collect() for s in m.samples if "route" in s.labels}
        assert not any("/things/a" in route for route in routes)

    @pytest.mark.asyncio
    async def test_a_method_http_does_not_define_is_counted_as_other(
        self, app: tuple[FastAPI, CollectorRegistry]
    ) -> None:
        application, registry = app
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for verb in ("BREW", "WHEN", "PROPFIND"):
                await client.request(verb, "/nowhere")
        methods = {s.labels["method"] for m in registry.collect() for s in m.samples if "method" in s.labels}
        assert methods == {"other"}

    def test_every_route_and_method_starts_at_zero_for_each_status_class(
        self, app: tuple[FastAPI, CollectorRegistry]
    ) -> None:
        application, registry = app
        metrics = _middleware_metrics(application)
        metrics.start_at_zero(application.routes)
        for route in ("/svc/v1/things/{thing_id}", "/svc/v1/broken"):
            for cls in STATUS_CLASSES:
                labels = {"method": "GET", "route": route, "status_class": cls}
                assert _value(registry, "dimm_http_requests_total", labels) == 0, labels


def _middleware_metrics(app: FastAPI) -> HttpMetrics:
    (middleware,) = [m for m in app.user_middleware if m.cls is RequestMetricsMiddleware]
    metrics: HttpMetrics = middleware.kwargs["metrics"]
    return metrics


class TestStatusClass:
    @pytest.mark.parametrize(("status", "expected"), [(200, "2xx"), (204, "2xx"), (307, "3xx"), (429, "4xx")])
    def test_a_status_is_labelled_by_its_class(self, status: int, expected: str) -> None:
        assert status_class(status) == expected
