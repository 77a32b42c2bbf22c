"""SecantusDB killed with SIGKILL during a burst of submissions: nothing acknowledged is lost.

Assessment and scoring run as OS processes on the embedded stack (SecantusDB on disk). The
database is killed in the middle of the submissions and restarted on the same port and storage;
the services are not restarted and must reconnect by themselves.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from dimm.embedded import free_port, start_secantus, start_tansu, stop_process, wait_for_port
from shared.events.contracts.assessment import DiagnosticSubmitted
from shared.events.contracts.scoring import DiagnosticScored
from shared.messaging.topics import events_topic
from tests.e2e.flows import V1, answered_draft, distinct_ids_per_diagnostic, organisation, tenant_headers
from tests.e2e.processes import Platform, kill
from tests.stack import Backend

pytestmark = pytest.mark.e2e

DIAGNOSTICS = 36
CONCURRENCY = 3
KILL_AFTER_ACKNOWLEDGED = 8
OUTAGE_SECONDS = 2.0


@dataclass
class KillableStack:
    """Tansu and an on-disk SecantusDB whose process the test kills and starts again."""

    root: Path
    backend: Backend
    mongo_port: int
    secantus: subprocess.Popen[bytes] | None = None

    def spawn_database(self) -> subprocess.Popen[bytes]:
        # From the main thread only: the child's parent-death signal fires when the spawning
        # *thread* ends, so a database started from a worker thread dies with that thread.
        self.secantus = start_secantus(
            self.mongo_port, storage=str(self.root / "mongo"), log_path=self.root / "logs" / "secantus.log"
        )
        return self.secantus

    def start_database(self) -> None:
        wait_for_port(self.mongo_port, process=self.spawn_database(), name="SecantusDB", timeout=60)

    def kill_database(self) -> None:
        assert self.secantus is not None
        kill(self.secantus)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KillableStack]:
    root = tmp_path_factory.mktemp("database-kill")
    kafka_port, mongo_port = free_port(), free_port()
    tansu = start_tansu(kafka_port, log_path=root / "logs" / "tansu.log")
    backend = Backend(
        "embedded", f"127.0.0.1:{kafka_port}", f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true"
    )
    running = KillableStack(root, backend, mongo_port)
    try:
        wait_for_port(kafka_port, process=tansu, name="Tansu")
        running.start_database()
        yield running
    finally:
        if running.secantus is not None:
            stop_process(running.secantus)
        stop_process(tansu)


@pytest.fixture(scope="module")
def platform(stack: KillableStack) -> Iterator[Platform]:
    running = Platform(stack.backend, stack.root / "logs", uuid.uuid4().hex[:8])
    try:
        for service in ("assessment", "scoring"):
            running.start(service, DIMM_MONGODB_TIMEOUT_SECONDS="2")
        for service in ("assessment", "scoring"):
            running.wait_ready(service)
        yield running
    finally:
        running.stop_all()


async def _drafts(http: httpx.AsyncClient) -> tuple[dict[str, str], list[str]]:
    auth = await tenant_headers(http)
    org = await organisation(http, auth)
    drafts: list[str] = []
    for _ in range(DIAGNOSTICS // 6):
        drafts += await asyncio.gather(*(answered_draft(http, auth, org) for _ in range(6)))
    return auth, drafts


async def _burst_with_a_kill(
    http: httpx.AsyncClient, auth: dict[str, str], drafts: list[str], stack: KillableStack
) -> dict[str, int]:
    """Submit every draft a few at a time; SIGKILL the database after a few were acknowledged."""
    answers: dict[str, int] = {}
    acknowledged = asyncio.Event()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for diagnostic in drafts:
        queue.put_nowait(diagnostic)

    async def submitter() -> None:
        while not queue.empty():
            diagnostic = queue.get_nowait()
            response = await http.post(f"{V1}/diagnostics/{diagnostic}/submit", headers=auth)
            answers[diagnostic] = response.status_code
            if response.status_code == 503:
                assert response.headers["retry-after"], diagnostic
                assert response.headers["content-type"] == "application/problem+json"
            if sum(status == 200 for status in answers.values()) >= KILL_AFTER_ACKNOWLEDGED:
                acknowledged.set()
            await asyncio.sleep(0.1)

    async def killer() -> None:
        await acknowledged.wait()
        stack.kill_database()
        await asyncio.sleep(OUTAGE_SECONDS)
        process = stack.spawn_database()
        await asyncio.to_thread(
            wait_for_port, stack.mongo_port, process=process, name="SecantusDB", timeout=60
        )

    await asyncio.gather(killer(), *(submitter() for _ in range(CONCURRENCY)))
    return answers


def _wait_until_scored(
    mongo: MongoClient[dict[str, object]], platform: Platform, submitted: set[str]
) -> None:
    diagnostics = mongo[platform.database("assessment")]["diagnostics"]
    deadline = time.monotonic() + 45
    while (
        scored := diagnostics.count_documents({"_id": {"$in": list(submitted)}, "status": "scored"})
    ) < len(submitted):
        assert time.monotonic() < deadline, f"{scored} of {len(submitted)} submitted diagnostics scored"
        time.sleep(0.5)


class TestDatabaseKilledMidBurst:
    def test_nothing_acknowledged_is_lost_and_every_outage_answer_is_a_503(
        self, stack: KillableStack, platform: Platform
    ) -> None:
        async def scenario() -> tuple[list[str], dict[str, int]]:
            async with httpx.AsyncClient(base_url=platform.url("assessment"), timeout=60) as http:
                auth, drafts = await _drafts(http)
                return drafts, await _burst_with_a_kill(http, auth, drafts, stack)

        drafts, answers = asyncio.run(scenario())
        for service in ("assessment", "scoring"):
            platform.wait_ready(service)  # the same processes, reconnected by themselves

        assert set(answers) == set(drafts)
        assert set(answers.values()) <= {200, 503}, answers
        assert 503 in answers.values(), "no submission was answered during the outage"
        accepted = {d for d, status in answers.items() if status == 200}
        assert len(accepted) > KILL_AFTER_ACKNOWLEDGED, "no submission was accepted after the restart"

        mongo: MongoClient[dict[str, object]] = MongoClient(stack.backend.mongodb_url)
        try:
            diagnostics = mongo[platform.database("assessment")]["diagnostics"]
            status = {
                d["_id"]: d["status"] for d in diagnostics.find({"_id": {"$in": drafts}}, {"status": 1})
            }
            assert {d: status[d] for d in accepted if status[d] not in ("submitted", "scored")} == {}
            # A 503 may have come after the commit: then it is submitted, and must be scored like the others.
            submitted = {d for d in drafts if status[d] != "draft"}
            _wait_until_scored(mongo, platform, submitted)

            scorecards = mongo[platform.database("scoring")]["scorecards"]
            assert scorecards.count_documents({"_id": {"$in": drafts}}) == len(submitted)
            assert {d["_id"] for d in scorecards.find({"_id": {"$in": drafts}}, {"_id": 1})} == submitted
        finally:
            mongo.close()

        submissions = distinct_ids_per_diagnostic(
            stack.backend.kafka_bootstrap_servers, events_topic("assessment"), DiagnosticSubmitted.event_type
        )
        scorings = distinct_ids_per_diagnostic(
            stack.backend.kafka_bootstrap_servers, events_topic("scoring"), DiagnosticScored.event_type
        )
        # Redelivery may repeat a record, never a new event: one event id per diagnostic on each topic.
        assert {d: len(submissions[d]) for d in submitted} == dict.fromkeys(submitted, 1)
        assert {d: len(scorings[d]) for d in submitted} == dict.fromkeys(submitted, 1)
        assert set(submissions) & set(drafts) == submitted
