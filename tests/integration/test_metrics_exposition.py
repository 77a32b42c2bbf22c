"""The four services running on the real stack, scraped as Prometheus does once a probe went through.

promtool lints each /metrics; no `_created` series; every labelled counter of ours has its series
from the start; the probe's round trips are a histogram with one observation per answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from services.benchmark.app import create_app as create_benchmark
from services.benchmark.settings import BenchmarkSettings
from services.watch.app import create_app as create_watch
from services.watch.settings import WatchSettings
from shared.events.contracts.probe import ANSWERING_SERVICES
from tests.integration.conftest import AUTH, running, service_settings
from tests.metrics_exposition import PROCESS_AND_PLATFORM, created_series, promtool_check, sample_names
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
PROBES = "/assessment/v1/ops/probes"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def benchmark(backend: Backend) -> AsyncIterator[FastAPI]:
    async with running(create_benchmark(service_settings(BenchmarkSettings, backend))) as application:
        yield application


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def watch(backend: Backend) -> AsyncIterator[FastAPI]:
    async with running(create_watch(service_settings(WatchSettings, backend))) as application:
        yield application


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scrapes(app: FastAPI, scoring: FastAPI, benchmark: FastAPI, watch: FastAPI) -> dict[str, str]:
    """Send a probe through the four services, wait for every answer, then scrape each service."""
    apps = {"assessment": app, "scoring": scoring, "benchmark": benchmark, "watch": watch}
    async with _client(app) as http:
        created = await http.post(PROBES, json={"count": 1}, headers=AUTH)
        assert created.status_code == 201, created.text
        probe_id = created.json()["probes"][0]["probe_id"]
        deadline = asyncio.get_running_loop().time() + 60
        while (await http.get(f"{PROBES}/{probe_id}", headers=AUTH)).json()["status"] != "complete":
            assert asyncio.get_running_loop().time() < deadline, "the probe was not answered by every service"
            await asyncio.sleep(0.2)
    texts = {}
    for name, application in apps.items():
        async with _client(application) as http:
            response = await http.get(f"/{name}/metrics")
        assert response.status_code == 200
        texts[name] = response.text
    return texts


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


SERVICE_NAMES = ("assessment", "scoring", "benchmark", "watch")


@pytest.mark.parametrize("name", SERVICE_NAMES)
class TestEachRunningService:
    async def test_promtool_checks_its_metrics_clean(self, scrapes: dict[str, str], name: str) -> None:
        promtool_check(scrapes[name])

    async def test_no_created_series(self, scrapes: dict[str, str], name: str) -> None:
        assert created_series(scrapes[name]) == []

    async def test_process_and_platform_metrics_are_exported(
        self, scrapes: dict[str, str], name: str
    ) -> None:
        assert sample_names(scrapes[name]) >= PROCESS_AND_PLATFORM

    async def test_every_labelled_counter_of_ours_has_its_series(
        self, scrapes: dict[str, str], name: str
    ) -> None:
        empty = [
            family.name
            for family in text_string_to_metric_families(scrapes[name])
            if family.type == "counter" and family.name.startswith("dimm_") and not family.samples
        ]
        assert empty == []


async def test_each_probe_answer_is_one_round_trip_observed(scrapes: dict[str, str]) -> None:
    counts = {
        sample.labels["responder"]: sample.value
        for family in text_string_to_metric_families(scrapes["assessment"])
        for sample in family.samples
        if sample.name == "dimm_probe_round_trip_seconds_count"
    }
    assert set(counts) == set(ANSWERING_SERVICES)
    assert all(count >= 1 for count in counts.values()), counts
