"""The embedded broker restarts empty in the middle of a burst of submissions.

Tansu keeps its topics in memory: after the restart every topic, record and committed offset is
gone. Without an operator, the services provision their topics again, publish again what they
published lately (kept in their outboxes), and every acknowledged submission ends scored once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from dimm.embedded import EmbeddedStack, free_port, stop_process
from shared.events.contracts.scoring import DiagnosticScored
from shared.messaging.topics import events_topic, platform_topics, provision_topics
from tests.e2e.flows import V1, answered_draft, distinct_ids_per_diagnostic, organisation, tenant_headers
from tests.e2e.processes import Platform
from tests.stack import Backend

pytestmark = pytest.mark.e2e

SERVICES = ("assessment", "scoring")
DIAGNOSTICS = 16


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[EmbeddedStack]:
    running = EmbeddedStack(data_dir=tmp_path, kafka_port=free_port(), mongo_port=free_port())
    try:
        running.start_kafka()
        running.start_mongo()
        provision_topics(running.kafka_bootstrap_servers, platform_topics(partitions=3, retention_hours=24))
        yield running
    finally:
        running.stop()


@pytest.fixture
def platform(stack: EmbeddedStack, tmp_path: Path) -> Iterator[Platform]:
    backend = Backend("embedded", stack.kafka_bootstrap_servers, stack.mongodb_url)
    running = Platform(backend, tmp_path, uuid.uuid4().hex[:8])
    quick = {"TOPIC_CHECK_SECONDS": "1"}
    try:
        for service in SERVICES:
            prefix = f"DIMM_{service.upper()}_"
            running.start(service, **{prefix + k: v for k, v in quick.items()})
        for service in SERVICES:
            running.wait_ready(service)
        yield running
    finally:
        running.stop_all()


def test_every_submission_acknowledged_around_a_broker_restart_is_scored_once(
    stack: EmbeddedStack, platform: Platform
) -> None:
    async def scenario() -> tuple[list[str], dict[str, Any]]:
        async with httpx.AsyncClient(base_url=platform.url("assessment"), timeout=30) as http:
            headers = await tenant_headers(http)
            org = await organisation(http, headers)
            drafts = [await answered_draft(http, headers, org) for _ in range(DIAGNOSTICS)]

            async def submit(diag: str) -> tuple[str, int]:
                response = await http.post(f"{V1}/diagnostics/{diag}/submit", headers=headers)
                return diag, response.status_code

            first = await asyncio.gather(*(submit(d) for d in drafts[: DIAGNOSTICS // 2]))
            # The broker goes away with everything it held, and comes back empty.
            stop_process(stack.processes.pop("tansu"))
            during = await asyncio.gather(*(submit(d) for d in drafts[DIAGNOSTICS // 2 :]))
            stack.start_kafka()
            answers = dict([*first, *during])
            acknowledged = [d for d, status in answers.items() if 200 <= status < 300]
            assert all(status < 500 for status in answers.values()), answers

            deadline = time.monotonic() + 150
            statuses: dict[str, Any] = {}
            while time.monotonic() < deadline:
                statuses = {
                    d: (await http.get(f"{V1}/diagnostics/{d}", headers=headers)).json()["status"]
                    for d in acknowledged
                }
                if all(status == "scored" for status in statuses.values()):
                    break
                await asyncio.sleep(1)
            return acknowledged, statuses

    acknowledged, statuses = asyncio.run(scenario())
    assert len(acknowledged) == DIAGNOSTICS  # the broker is not needed to accept a submission
    assert Counter(statuses.values()) == {"scored": DIAGNOSTICS}, statuses
    scorecards = MongoClient(stack.mongodb_url)[platform.database("scoring")]["scorecards"]
    assert scorecards.count_documents({"_id": {"$in": acknowledged}}) == DIAGNOSTICS
    # Those scored before the restart had their scored events in the lost topic: scoring publishes
    # them again. Each diagnostic scored once: one scored event id, however often it was sent.
    deadline = time.monotonic() + 60
    while True:
        events = distinct_ids_per_diagnostic(
            stack.kafka_bootstrap_servers, events_topic("scoring"), DiagnosticScored.event_type
        )
        if all(events.get(d) for d in acknowledged) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert {d: len(events.get(d, set())) for d in acknowledged} == {d: 1 for d in acknowledged}
