"""On the real stack: what the alert rules read is exported — lag, latency, HTTP, readiness."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from shared.messaging.topics import events_topic
from shared.model.editions import SME_PROFILE
from tests.integration.conftest import new_tenant, submitted_diagnostic

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
V1 = "/assessment/v1"


async def samples(
    client: httpx.AsyncClient, service: str
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Scrape a service's /metrics as Prometheus would and index its samples."""
    response = await client.get(f"/{service}/metrics")
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def named(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str
) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: value for (n, labels), value in found.items() if n == name}


class TestExported:
    async def test_a_scored_diagnostic_shows_in_latency_lag_and_http_metrics(
        self, http: httpx.AsyncClient, scoring: FastAPI, scoring_http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http)
        _, diag = await submitted_diagnostic(tenant, {code: 3 for code in SME_PROFILE})
        deadline = asyncio.get_running_loop().time() + 30
        while (await tenant.call("GET", f"{V1}/diagnostics/{diag}")).json()["status"] != "scored":
            assert asyncio.get_running_loop().time() < deadline, "the diagnostic was never scored"
            await asyncio.sleep(0.1)

        found = await samples(http, "assessment")
        (count,) = named(found, "dimm_diagnostic_scoring_latency_seconds_count").values()
        assert count >= 1
        assert named(found, "dimm_diagnostic_scoring_failures_total")
        # Readiness is exported with every scrape, one series per dependency.
        up = {
            dict(labels)["dependency"]: value for labels, value in named(found, "dimm_dependency_up").items()
        }
        assert up == {"mongodb": 1.0, "kafka": 1.0, "topics": 1.0, "consumer": 1.0}
        # Requests are counted by route template, never by the ids in the path.
        routes = {dict(labels)["route"] for labels in named(found, "dimm_http_requests_total")}
        assert f"{V1}/diagnostics/{{diagnostic_id}}" in routes
        assert not any(diag in route for route in routes)

        # The scoring group's lag is measured on every partition of the topics it reads, from
        # the broker's own offsets: once scoring has committed, the submitted event is no lag.
        group = scoring.state.deps.runtime.settings.consumer_group
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            lag = named(await samples(scoring_http, "scoring"), "dimm_consumer_lag_records")
            ours = {dict(labels)["topic"] for labels in lag if dict(labels)["group"] == group}
            if events_topic("assessment") in ours:
                break
            assert asyncio.get_running_loop().time() < deadline, f"no lag measured for {group}: {lag}"
            await asyncio.sleep(0.5)
        partitions = {
            dict(labels)["partition"] for labels in lag if dict(labels)["topic"] == events_topic("assessment")
        }
        assert len(partitions) >= 1
        assert all(value >= 0 for value in lag.values())
