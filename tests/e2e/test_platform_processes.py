"""The four services as separate OS processes: probe, then SIGKILL a consumer mid-burst."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from pymongo import MongoClient

from dimm.doctor import render, run_doctor
from shared.events.contracts.probe import ANSWERING_SERVICES
from tests.e2e.processes import TOKEN, Platform
from tests.stack import embedded_backend

pytestmark = pytest.mark.e2e

SERVICES = ("assessment", *ANSWERING_SERVICES)
BURST_REQUESTS, PROBES_PER_REQUEST = 10, 100


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with embedded_backend() as backend:
        running = Platform(backend, tmp_path_factory.mktemp("e2e-logs"), uuid.uuid4().hex[:8])
        try:
            for service in SERVICES:
                running.start(service)
            for service in SERVICES:
                running.wait_ready(service)
            yield running
        finally:
            running.stop_all()


def _request_probes(platform: Platform, count: int) -> list[str]:
    response = httpx.post(
        f"{platform.url('assessment')}/assessment/v1/ops/probes",
        json={"count": count},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return [probe["probe_id"] for probe in response.json()["probes"]]


class TestProbe:
    def test_doctor_sees_every_service_answer(self, platform: Platform) -> None:
        report = asyncio.run(run_doctor(platform.url("assessment"), TOKEN, timeout=30))
        assert report.healthy, render(report)
        assert set(report.round_trips) == set(ANSWERING_SERVICES)


class TestConsumerKilledMidBurst:
    def test_every_event_has_exactly_one_effect_after_a_sigkill_and_restart(self, platform: Platform) -> None:
        mongo = MongoClient(platform.backend.mongodb_url)
        scoring_db = mongo[platform.database("scoring")]
        probe_ids: list[str] = []
        for request in range(BURST_REQUESTS):
            probe_ids += _request_probes(platform, PROBES_PER_REQUEST)
            if request == 2:
                deadline = time.monotonic() + 30
                while scoring_db["probe_answers"].count_documents({}) < 50 and time.monotonic() < deadline:
                    time.sleep(0.02)
                platform.kill("scoring")
            if request == 5:
                platform.start("scoring")
        platform.wait_ready("scoring")

        probes = mongo[platform.database("assessment")]["probes"]
        every_answer = {f"answers.{s}": {"$exists": True} for s in ANSWERING_SERVICES}
        total = probes.count_documents({})
        deadline = time.monotonic() + 240
        # Poll gently: the embedded database serves the four services from one process.
        while (complete := probes.count_documents(every_answer)) < total:
            assert time.monotonic() < deadline, f"{complete} of {total} probes answered by every service"
            time.sleep(2)

        for probe in probes.find({"_id": {"$in": probe_ids}}):
            assert {s: probe["answers"][s]["deliveries"] for s in ANSWERING_SERVICES} == dict.fromkeys(
                ANSWERING_SERVICES, 1
            ), probe["_id"]
        for service in ANSWERING_SERVICES:
            db = mongo[platform.database(service)]
            answered = db["probe_answers"].count_documents({"_id": {"$in": probe_ids}})
            stats = db["probe_stats"].find_one({"_id": "dimm.assessment.probe.requested.v1"})
            assert answered == len(probe_ids), service
            # The doctor's probe of the other test may have gone through too: count it out.
            others = db["probe_answers"].count_documents({"_id": {"$nin": probe_ids}})
            assert stats is not None, service
            assert stats["count"] == len(probe_ids) + others, service
        mongo.close()


class TestTheServedProcess:
    @pytest.mark.parametrize("service", SERVICES)
    def test_metrics_are_on_the_internal_port_only(self, platform: Platform, service: str) -> None:
        public = httpx.get(f"{platform.url(service)}/{service}/metrics", timeout=10)
        assert public.status_code == 404
        assert public.headers["content-type"] == "application/problem+json"
        internal = httpx.get(f"http://{platform.metrics_target(service)}/{service}/metrics", timeout=10)
        assert internal.status_code == 200
        assert "dimm_http_requests_total" in internal.text

    @pytest.mark.parametrize("service", SERVICES)
    def test_no_server_banner_and_nosniff(self, platform: Platform, service: str) -> None:
        response = httpx.get(f"{platform.url(service)}/{service}/healthz", timeout=10)
        assert "server" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"

    def test_a_streamed_body_over_the_limit_is_cut_off_with_a_413(self, platform: Platform) -> None:
        whole = 1024
        pulled = 0

        def chunks() -> Iterator[bytes]:
            nonlocal pulled
            # 1,024 × 64 KiB = 64 MiB, far over the 5 MiB limit. The sockets' kernel buffers take
            # several MiB past the cut before the client sees it, so only a much longer body than
            # the limit tells a server that stops reading from one that reads everything.
            for _ in range(whole):
                pulled += 1
                yield b" " * 65536

        try:
            response = httpx.post(
                f"{platform.url('assessment')}/assessment/v1/accounts",
                content=chunks(),
                headers={"content-type": "application/json"},
                timeout=30,
            )
        except httpx.TransportError:
            pytest.fail("the server closed the connection without answering 413")
        assert response.status_code == 413
        assert response.json()["status"] == 413
        assert pulled < whole, "the server read the whole body"
