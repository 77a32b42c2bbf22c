"""The four services as separate OS processes: probe, then SIGKILL a consumer mid-burst."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from dimm.doctor import render, run_doctor
from dimm.embedded import free_port, start_service, wait_ready
from shared.auth import generate_key_pair
from shared.events.contracts.probe import ANSWERING_SERVICES
from tests.e2e.processes import kill, stop_all
from tests.stack import Backend, embedded_backend

pytestmark = pytest.mark.e2e

SERVICES = ("assessment", *ANSWERING_SERVICES)
TOKEN = "e2e-operator-token-" + uuid.uuid4().hex
PRIVATE_KEY, PUBLIC_KEY = generate_key_pair()
BURST_REQUESTS, PROBES_PER_REQUEST = 10, 100


@dataclass
class Platform:
    """Four service processes on the embedded stack."""

    backend: Backend
    log_dir: Path
    run_id: str
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def database(self, service: str) -> str:
        return f"e2e_{self.run_id}_{service}"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, service: str) -> None:
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.backend.kafka_bootstrap_servers,
            "MONGODB_URL": self.backend.mongodb_url,
            "DIMM_ENVIRONMENT": "test",
            "DIMM_ASSESSMENT_ADMIN_TOKEN": TOKEN,
            "DIMM_ASSESSMENT_JWT_PRIVATE_KEY": PRIVATE_KEY,
            "DIMM_JWT_PUBLIC_KEY": PUBLIC_KEY,
            f"DIMM_{service.upper()}_MONGODB_DATABASE": self.database(service),
        }
        port = self.ports.setdefault(service, free_port())
        log = open(self.log_dir / f"{service}.log", "ab")  # noqa: SIM115 - kept open for the child
        self.processes[service] = start_service(service, port=port, env=env, log=log)

    def wait_ready(self, service: str) -> None:
        wait_ready(self.url(service), service, process=self.processes[service])

    def kill(self, service: str) -> None:
        kill(self.processes[service])

    def stop_all(self) -> None:
        stop_all(self.processes.values())


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
