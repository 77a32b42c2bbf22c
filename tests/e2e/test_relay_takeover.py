"""Two scoring replicas as processes: SIGKILL the relay lease holder mid-burst; nothing lost or repeated."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import MongoClient
from pymongo.database import Database

from dimm.embedded import free_port, start_service, wait_ready
from shared.events.contracts.assessment import DiagnosticSubmitted, OrganisationProfile
from shared.events.contracts.catalogue import ModelPublished
from shared.events.envelope import Event, encode, new_envelope
from shared.messaging.kafka import KafkaSender
from shared.messaging.outbox import RELAY_LEASE
from shared.messaging.topics import events_topic
from shared.model.editions import shipped_edition
from shared.model.schema import MaturityModel
from tests.e2e.processes import kill, stop_all
from tests.stack import Backend, embedded_backend

pytestmark = pytest.mark.e2e

REPLICAS = ("scoring-a", "scoring-b")
BURST = 200  # submitted events before the kill, and again after it
SCORED = "dimm.scoring.diagnostic.scored.v1"
PROFILE = OrganisationProfile(
    sector="banque", size_band="GE", region="ile-de-france", organisation_type="entreprise"
)


@dataclass
class ScoringReplicas:
    """Two scoring processes sharing one consumer group and one database."""

    backend: Backend
    log_dir: Path
    database: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def start(self, replica: str) -> None:
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.backend.kafka_bootstrap_servers,
            "MONGODB_URL": self.backend.mongodb_url,
            "DIMM_ENVIRONMENT": "test",
            "DIMM_SCORING_MONGODB_DATABASE": self.database,
            # Two partitions at least, so the group's two members each consume some.
            "DIMM_TOPIC_PARTITIONS": "2",
            # Small batches: many transactions and relay rounds, so the kill lands inside one.
            "DIMM_SCORING_CONSUMER_BATCH_SIZE": "20",
            "DIMM_SCORING_RELAY_BATCH_SIZE": "25",
        }
        self.ports[replica] = free_port()
        log = open(self.log_dir / f"{replica}.log", "ab")  # noqa: SIM115 - kept open for the child
        self.processes[replica] = start_service("scoring", port=self.ports[replica], env=env, log=log)

    def wait_ready(self, replica: str) -> None:
        wait_ready(f"http://127.0.0.1:{self.ports[replica]}", "scoring", process=self.processes[replica])

    def replica_of(self, owner: str) -> str:
        """Name the replica whose process a lease owner ("host:pid") is."""
        pid = int(owner.rsplit(":", 1)[1])
        return next(name for name, process in self.processes.items() if process.pid == pid)

    def kill(self, replica: str) -> None:
        kill(self.processes[replica])

    def stop_all(self) -> None:
        stop_all(self.processes.values())


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[ScoringReplicas]:
    with embedded_backend() as backend:
        running = ScoringReplicas(backend, tmp_path, f"e2e_{uuid.uuid4().hex[:8]}_scoring")
        try:
            for replica in REPLICAS:
                running.start(replica)
            for replica in REPLICAS:
                running.wait_ready(replica)
            yield running
        finally:
            running.stop_all()


def model_published(model: MaturityModel) -> ModelPublished:
    return ModelPublished(
        model_id=model.model_id,
        version=model.version,
        content_hash=model.content_hash,
        title=model.title,
        indicator_count=model.indicator_count,
        published_at=datetime.now(UTC),
        document=model.model_dump(mode="json"),
    )


def submitted(model: MaturityModel, rng: random.Random) -> DiagnosticSubmitted:
    return DiagnosticSubmitted(
        diagnostic_id="dg_" + uuid.uuid4().hex[:16],
        organisation_id="org_" + uuid.uuid4().hex[:16],
        account_id="acc_e2e",
        profile=PROFILE,
        model_id=model.model_id,
        model_version=model.version,
        scope="full",
        levels={p.indicator.code: rng.randint(0, 5) for p in model.places()},
        not_applicable=[],
        divergences=[],
        submitted_at=datetime.now(UTC),
    )


async def _produce(backend: Backend, events: list[tuple[Event, str]]) -> None:
    sender = KafkaSender(backend.kafka_bootstrap_servers, client_id="e2e-assessment")
    await sender.start()
    try:
        futures = []
        for event, subject in events:
            record = encode(new_envelope(event, source="/dimm/assessment", subject=subject))
            topic = events_topic("assessment")
            futures.append(await sender.send(topic, record.value, key=record.key, headers=record.headers))
        await asyncio.gather(*futures)
    finally:
        await sender.stop()


def produce(backend: Backend, events: list[tuple[Event, str]]) -> None:
    """Publish events as the assessment service's relay would."""
    asyncio.run(_produce(backend, events))


async def _scored_records(backend: Backend) -> list[tuple[str, str]]:
    """Return (ce_id, diagnostic_id) of every scored event on the scoring topic, read to its end."""
    reader = AIOKafkaConsumer(bootstrap_servers=backend.kafka_bootstrap_servers, group_id=None)
    await reader.start()
    try:
        topic = events_topic("scoring")
        partitions = [TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic) or [])]
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        found: list[tuple[str, str]] = []
        while not await _at_end(reader, partitions):
            batch = await reader.getmany(timeout_ms=500)
            for record in (r for rs in batch.values() for r in rs):
                headers = dict(record.headers)
                if headers.get("ce_type") == SCORED.encode():
                    found.append(
                        (headers["ce_id"].decode(), json.loads(record.value or b"{}")["diagnostic_id"])
                    )
        return found
    finally:
        await reader.stop()


async def _at_end(reader: AIOKafkaConsumer, partitions: list[TopicPartition]) -> bool:
    """Tell whether every partition was read to the high watermark a fetch reported.

    Not ListOffsets: Tansu's answer lags behind the last batch.
    """
    for tp in partitions:
        highwater = reader.highwater(tp)
        if highwater is None or await reader.position(tp) < highwater:
            return False
    return True


def wait_until(check: Callable[[], bool], what: str, *, timeout: float, pause: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout:.0f}s: {what}"
        time.sleep(pause)


class TestRelayHolderKilledMidBurst:
    @pytest.mark.timeout(240)
    def test_every_diagnostic_has_one_scorecard_and_one_scored_event(self, replicas: ScoringReplicas) -> None:
        mongo: MongoClient[dict[str, object]] = MongoClient(replicas.backend.mongodb_url)
        db = mongo[replicas.database]
        try:
            model, rng = shipped_edition("2.0.0"), random.Random(3)
            self._warm_up(replicas, db, model, rng)
            expected, killed = self._burst_killing_the_relay_holder(replicas, db, model, rng)
            # Long enough for the killed member's open transaction to expire (60 s) and its
            # partitions to be consumed again by the survivor.
            wait_until(
                lambda: (
                    db["scorecards"].count_documents({"_id": {"$in": sorted(expected)}}) == len(expected)
                    and db["outbox"].count_documents({"published_at": None}) == 0
                ),
                "every diagnostic scored and published",
                timeout=150,
            )
            records = asyncio.run(_scored_records(replicas.backend))
            holder_after = replicas.replica_of(_lease_owner(db))
        finally:
            mongo.close()

        per_diagnostic = Counter(diagnostic for _, diagnostic in records if diagnostic in expected)
        assert set(per_diagnostic) == expected
        assert set(per_diagnostic.values()) == {1}, per_diagnostic.most_common(3)
        assert max(Counter(ce_id for ce_id, _ in records).values()) == 1
        assert holder_after != killed

    @staticmethod
    def _warm_up(
        replicas: ScoringReplicas, db: Database[dict[str, object]], model: MaturityModel, rng: random.Random
    ) -> None:
        """Publish the model, then score one diagnostic, so both replicas can score the burst."""
        produce(replicas.backend, [(model_published(model), "dimm")])
        wait_until(lambda: db["models"].count_documents({}) == 1, "the model is known", timeout=60)
        warm = submitted(model, rng)
        produce(replicas.backend, [(warm, warm.organisation_id)])
        wait_until(
            lambda: db["scorecards"].count_documents({"_id": warm.diagnostic_id}) == 1,
            "warm-up scored",
            timeout=60,
        )

    @staticmethod
    def _burst_killing_the_relay_holder(
        replicas: ScoringReplicas, db: Database[dict[str, object]], model: MaturityModel, rng: random.Random
    ) -> tuple[set[str], str]:
        """Submit a burst, SIGKILL the lease holder while it is being scored, submit another."""
        first = [submitted(model, rng) for _ in range(BURST)]
        produce(replicas.backend, [(e, e.organisation_id) for e in first])
        wait_until(
            lambda: db["scorecards"].count_documents({}) > BURST // 4,
            "scoring under way",
            timeout=60,
            pause=0.05,
        )
        holder = replicas.replica_of(_lease_owner(db))
        replicas.kill(holder)
        second = [submitted(model, rng) for _ in range(BURST)]
        produce(replicas.backend, [(e, e.organisation_id) for e in second])
        return {e.diagnostic_id for e in first + second}, holder


def _lease_owner(db: Database[dict[str, object]]) -> str:
    """Return "host:pid" of the relay lease's holder, as its document names it."""
    doc = db["leases"].find_one({"_id": RELAY_LEASE})
    assert doc is not None
    owner = doc["owner"]
    assert isinstance(owner, str)
    return owner
