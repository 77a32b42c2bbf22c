"""The assessment app on the real broker and database: operations routes and the probe event."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from shared.messaging.topics import events_topic
from tests.integration.conftest import AUTH, records_with_subject
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


class TestOperations:
    async def test_liveness_answers(self, http: httpx.AsyncClient) -> None:
        assert (await http.get("/assessment/healthz")).json() == {"status": "ok", "service": "assessment"}

    async def test_readiness_checks_mongo_kafka_topics_and_the_consumer_s_partitions(
        self, http: httpx.AsyncClient
    ) -> None:
        deadline = asyncio.get_running_loop().time() + 30
        while (response := await http.get("/assessment/readyz")).status_code != 200:
            # Joining the consumer group takes a few seconds: not ready until it holds partitions.
            assert response.status_code == 503
            assert asyncio.get_running_loop().time() < deadline, response.json()
            await asyncio.sleep(0.2)
        assert response.json()["checks"] == {"mongodb": True, "kafka": True, "topics": True, "consumer": True}

    async def test_metrics_are_prometheus_text(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/assessment/metrics")
        assert response.headers["content-type"].startswith("text/plain")
        assert "dimm_outbox_published_total" in response.text

    async def test_the_asyncapi_document_names_the_topics(self, http: httpx.AsyncClient) -> None:
        document = (await http.get("/assessment/asyncapi.json")).json()
        assert document["asyncapi"] == "3.0.0"
        addresses = {channel["address"] for channel in document["channels"].values()}
        assert {"dimm.assessment.events", "dimm.scoring.events", "dimm.watch.events"} <= addresses

    async def test_the_openapi_document_is_under_the_prefix(self, http: httpx.AsyncClient) -> None:
        paths = (await http.get("/assessment/openapi.json")).json()["paths"]
        assert "/assessment/v1/ops/probes" in paths

    async def test_a_correlation_id_comes_back(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/assessment/healthz", headers={"X-Correlation-ID": "corr-42"})
        assert response.headers["x-correlation-id"] == "corr-42"


class TestProbeAccess:
    async def test_no_token_is_a_401(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/assessment/v1/ops/probes", json={"count": 1})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    async def test_a_wrong_token_is_a_401(self, http: httpx.AsyncClient) -> None:
        headers = {"Authorization": "Bearer not-the-token"}
        assert (
            await http.post("/assessment/v1/ops/probes", json={"count": 1}, headers=headers)
        ).status_code == 401

    @pytest.mark.parametrize("count", [0, -1, 51, "many"])
    async def test_a_bad_count_is_a_422(self, http: httpx.AsyncClient, count: object) -> None:
        response = await http.post("/assessment/v1/ops/probes", json={"count": count}, headers=AUTH)
        assert response.status_code == 422
        assert response.json()["status"] == 422

    async def test_an_unknown_probe_is_a_404(self, http: httpx.AsyncClient) -> None:
        assert (await http.get("/assessment/v1/ops/probes/nope", headers=AUTH)).status_code == 404


class TestProbeEvent:
    async def test_a_probe_is_stored_and_its_event_reaches_the_broker(
        self, http: httpx.AsyncClient, backend: Backend
    ) -> None:
        response = await http.post(
            "/assessment/v1/ops/probes", json={"count": 1}, headers={**AUTH, "X-Correlation-ID": "corr-probe"}
        )
        assert response.status_code == 201
        probe = response.json()["probes"][0]
        assert probe["status"] == "pending"
        assert probe["missing"] == ["scoring", "benchmark", "watch"]

        [record] = await records_with_subject(backend, events_topic("assessment"), probe["probe_id"])
        headers = dict(record.headers)
        assert headers["ce_type"] == b"dimm.assessment.probe.requested.v1"
        assert headers["ce_source"] == b"/dimm/assessment"
        assert headers["ce_correlationid"] == b"corr-probe"
        assert json.loads(record.value)["probe_id"] == probe["probe_id"]

        stored = await http.get(f"/assessment/v1/ops/probes/{probe['probe_id']}", headers=AUTH)
        assert stored.json()["probe_id"] == probe["probe_id"]
