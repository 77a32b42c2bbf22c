"""Outbox relays of several replicas on the real broker and database: each event published once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import CollectorRegistry
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.events.envelope import Envelope, Event, encode
from shared.lease import LEASES_COLLECTION, Lease
from shared.messaging.kafka import KafkaSender
from shared.messaging.metrics import MessagingMetrics
from shared.messaging.outbox import OUTBOX_COLLECTION, RELAY_LEASE, Outbox, OutboxRelay, replay_outbox
from shared.messaging.reconcile import KafkaScanner, positions_from_state, positions_to_state
from shared.messaging.topics import TopicSpec, provision_topics
from shared.mongo import Client, create_client, in_transaction
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

PARTITIONS = 2
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
Database = AsyncDatabase[dict[str, Any]]
Collection = AsyncCollection[dict[str, Any]]


class Tick(Event):
    """Emitted by the test's producing service."""

    event_type = "dimm.test.tick.v1"

    n: int


@dataclass
class Replicas:
    """One producing service's outbox and topic, and the relays of its replicas."""

    backend: Backend
    client: Client
    topic: str
    source: str
    stack: AsyncExitStack

    @property
    def db(self) -> Database:
        return self.client[self.topic.replace(".", "_")]

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.db[OUTBOX_COLLECTION], source=self.source, topic=self.topic)

    @property
    def leases(self) -> Collection:
        return self.db[LEASES_COLLECTION]

    def lease(self, *, ttl: float = 10.0) -> Lease:
        # Longer than a takeover scan on a loaded machine (about 1 s on Tansu), so none outlives it.
        return Lease(self.leases, RELAY_LEASE, ttl_seconds=ttl)

    async def relay(
        self,
        lease: Lease,
        *,
        batch_size: int = 40,
        metrics: MessagingMetrics | None = None,
        sender: Any = None,
    ) -> OutboxRelay:
        if sender is None:
            sender = KafkaSender(self.backend.kafka_bootstrap_servers, client_id="test-relay")
            await sender.start()
            self.stack.push_async_callback(sender.stop)
        return OutboxRelay(
            self.db[OUTBOX_COLLECTION],
            sender,
            lease=lease,
            scanner=KafkaScanner(self.backend.kafka_bootstrap_servers, client_id="test-relay-scan"),
            source=self.source,
            topics=(self.topic,),
            metrics=metrics
            or MessagingMetrics(CollectorRegistry()),  # a registry per replica, as per process
            batch_size=batch_size,
            poll_seconds=0.05,
        )

    async def stage(self, first: int, count: int) -> list[Envelope]:
        async def work(session: AsyncClientSession) -> list[Envelope]:
            events = [(Tick(n=n), f"org-{n}") for n in range(first, first + count)]
            return await self.outbox.add_many(events, session=session)

        return await in_transaction(self.client, work)

    async def publish_behind_the_relays_back(self, envelopes: list[Envelope]) -> None:
        """Do what a relay does before it removes a batch and records its positions."""
        sender = KafkaSender(self.backend.kafka_bootstrap_servers, client_id="test-dead-relay")
        await sender.start()
        try:
            futures = []
            for envelope in envelopes:
                record = encode(envelope)
                futures.append(
                    await sender.send(self.topic, record.value, key=record.key, headers=record.headers)
                )
            await asyncio.gather(*futures)
        finally:
            await sender.stop()

    async def published_ids(self) -> Counter[str]:
        """Count every event id on the topic, reading each partition to its end."""
        reader = AIOKafkaConsumer(
            bootstrap_servers=self.backend.kafka_bootstrap_servers, group_id=None, enable_auto_commit=False
        )
        await reader.start()
        try:
            partitions = [TopicPartition(self.topic, p) for p in range(PARTITIONS)]
            reader.assign(partitions)
            await reader.seek_to_beginning(*partitions)
            ends = await _true_ends(reader, partitions)
            seen: Counter[str] = Counter()
            while any([await reader.position(tp) < ends[tp] for tp in partitions]):
                batch = await reader.getmany(timeout_ms=500)
                seen.update(dict(r.headers)["ce_id"].decode() for rs in batch.values() for r in rs)
            return seen
        finally:
            await reader.stop()

    async def drained(self) -> bool:
        return await self.outbox.pending() == 0


async def _true_ends(reader: AIOKafkaConsumer, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    # Tansu's ListOffsets under-reports the end: the high watermark of a fetch does not.
    while any(reader.highwater(tp) is None for tp in partitions):
        await reader.getmany(timeout_ms=200)
    ends = {tp: reader.highwater(tp) or 0 for tp in partitions}
    await reader.seek_to_beginning(*partitions)
    return ends


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"condition not met within {timeout}s"
        await asyncio.sleep(0.05)


@pytest_asyncio.fixture
async def replicas(backend: Backend) -> AsyncIterator[Replicas]:
    topic = f"dimm.relay{uuid.uuid4().hex[:8]}.events"
    await asyncio.to_thread(
        provision_topics, backend.kafka_bootstrap_servers, [TopicSpec(topic, PARTITIONS, 1)]
    )
    client = create_client(backend.mongodb_url, app_name="test-relay")
    async with AsyncExitStack() as stack:
        yield Replicas(backend, client, topic, source=f"/dimm/{topic}", stack=stack)
    await client.close()


class TestOneRelayAtATime:
    async def test_two_relays_on_one_outbox_publish_every_event_once(self, replicas: Replicas) -> None:
        first, second = await replicas.relay(replicas.lease()), await replicas.relay(replicas.lease())
        backlog = [e.id for e in await replicas.stage(0, 400)]
        first.start()
        second.start()
        try:
            staged = backlog + [e.id for k in range(4) for e in await replicas.stage(400 + k * 50, 50)]
            await eventually(replicas.drained)
        finally:
            await first.stop()
            await second.stop()

        published = await replicas.published_ids()
        assert set(published) == set(staged)
        assert set(published.values()) == {1}

    async def test_when_the_holder_stops_the_other_relay_publishes_the_rest_once(
        self, replicas: Replicas
    ) -> None:
        first, second = await replicas.relay(replicas.lease()), await replicas.relay(replicas.lease())
        first.start()
        staged = [e.id for e in await replicas.stage(0, 100)]
        await eventually(replicas.drained)
        second.start()
        await first.stop()
        try:
            staged += [e.id for e in await replicas.stage(100, 100)]
            await eventually(replicas.drained)
        finally:
            await second.stop()

        published = await replicas.published_ids()
        assert set(published) == set(staged)
        assert set(published.values()) == {1}


class RefusingSender:
    """A broker that refuses every record."""

    async def send(self, topic: str, value: bytes, *, key: bytes | None, headers: Any) -> Any:
        raise ConnectionError("the broker is away")


class TestOldestPendingAge:
    async def test_the_age_grows_while_the_broker_refuses_and_is_zero_once_drained(
        self, replicas: Replicas
    ) -> None:
        stuck_registry, registry = CollectorRegistry(), CollectorRegistry()
        await replicas.stage(0, 5)
        stuck = await replicas.relay(
            replicas.lease(ttl=3.0), metrics=MessagingMetrics(stuck_registry), sender=RefusingSender()
        )
        stuck.start()
        try:
            await eventually(lambda: _at_least(stuck_registry, 1.5))
        finally:
            await stuck.stop()
        working = await replicas.relay(replicas.lease(ttl=3.0), metrics=MessagingMetrics(registry))
        working.start()
        try:
            await eventually(replicas.drained)
            await eventually(lambda: _at_most(registry, 0.0))
        finally:
            await working.stop()


async def _at_least(registry: CollectorRegistry, seconds: float) -> bool:
    return (registry.get_sample_value("dimm_outbox_oldest_pending_age_seconds") or 0.0) >= seconds


async def _at_most(registry: CollectorRegistry, seconds: float) -> bool:
    value = registry.get_sample_value("dimm_outbox_oldest_pending_age_seconds")
    return value is not None and value <= seconds


class TestTakeover:
    async def test_the_next_holder_does_not_publish_again_what_a_dead_holder_published(
        self, replicas: Replicas
    ) -> None:
        dead_lease = replicas.lease()
        dead = await replicas.relay(dead_lease)
        assert await dead_lease.acquire()
        first = await replicas.stage(0, 30)
        assert await dead.relay_once() == 30
        # The holder published the next batch, was acknowledged, and died before removing it.
        published_then_died = await replicas.stage(30, 40)
        await replicas.publish_behind_the_relays_back(published_then_died)
        never_published = await replicas.stage(70, 25)

        # It died: its lease expires (set so here rather than waited for).
        await replicas.leases.update_one({"_id": RELAY_LEASE}, {"$set": {"expires_at": LONG_AGO}})
        survivor = await replicas.relay(replicas.lease())
        survivor.start()
        try:
            await eventually(replicas.drained)
        finally:
            await survivor.stop()

        published = await replicas.published_ids()
        assert set(published) == {e.id for e in first + published_then_died + never_published}
        assert set(published.values()) == {1}

    async def test_positions_beyond_the_end_count_as_nothing_published(self, replicas: Replicas) -> None:
        # As after a restart of a broker that kept its topics in memory.
        far = {(replicas.topic, p): 10_000 for p in range(PARTITIONS)}
        await replicas.leases.insert_one(
            {"_id": RELAY_LEASE, "holder": None, "state": positions_to_state(far)}
        )
        staged = [e.id for e in await replicas.stage(0, 50)]

        relay = await replicas.relay(replicas.lease())
        relay.start()
        try:
            await eventually(replicas.drained)
        finally:
            await relay.stop()

        published = await replicas.published_ids()
        assert set(published) == set(staged)
        assert set(published.values()) == {1}
        doc = await replicas.leases.find_one({"_id": RELAY_LEASE})
        assert doc is not None
        assert sum(positions_from_state(doc["state"]).values()) == 50


class TestFencing:
    async def test_a_relay_that_lost_its_lease_stops_after_its_batch_in_flight(
        self, replicas: Replicas
    ) -> None:
        old_lease, new_lease = replicas.lease(ttl=30.0), replicas.lease(ttl=30.0)
        old = await replicas.relay(old_lease)
        assert await old_lease.acquire()
        assert await old.relay_once() == 0
        # The database expires the old holder's lease (it was paused, or its clock is off) and
        # another replica takes it, while the old one still believes it holds it.
        await replicas.leases.update_one({"_id": RELAY_LEASE}, {"$set": {"expires_at": LONG_AGO}})
        assert await new_lease.acquire()
        await replicas.stage(0, 10)

        assert await old.relay_once() == 10  # the batch it had started: the residual risk
        assert not old_lease.held
        await replicas.stage(10, 10)
        assert await old.relay_once() == 0
        doc = await replicas.leases.find_one({"_id": RELAY_LEASE})
        assert doc is not None
        assert doc["holder"] == new_lease.holder


class TestScanner:
    async def test_an_empty_topic_has_nothing_published_and_ends_at_zero(self, replicas: Replicas) -> None:
        scanner = KafkaScanner(replicas.backend.kafka_bootstrap_servers, client_id="test-scan")

        found, ends = await scanner.scan({}, topics=(replicas.topic,), source=replicas.source, limit=100)

        assert found == set()
        assert ends == {(replicas.topic, p): 0 for p in range(PARTITIONS)}

    async def test_a_partition_missing_from_the_positions_is_read_from_its_start(
        self, replicas: Replicas
    ) -> None:
        envelopes = await replicas.stage(0, 40)
        await replicas.publish_behind_the_relays_back(envelopes)
        scanner = KafkaScanner(replicas.backend.kafka_bootstrap_servers, client_id="test-scan")
        _, ends = await scanner.scan({}, topics=(replicas.topic,), source=replicas.source, limit=100)

        # Positions as recorded before partition 1 existed, say: only partition 0 is known.
        known = {(replicas.topic, 0): ends[(replicas.topic, 0)]}
        found, _ = await scanner.scan(known, topics=(replicas.topic,), source=replicas.source, limit=100)

        assert ends[(replicas.topic, 1)] > 0
        assert 0 < len(found) < 40
        assert found <= {e.id for e in envelopes}

    async def test_events_of_other_sources_are_not_taken_for_ours(self, replicas: Replicas) -> None:
        envelopes = await replicas.stage(0, 5)
        await replicas.publish_behind_the_relays_back(envelopes)
        scanner = KafkaScanner(replicas.backend.kafka_bootstrap_servers, client_id="test-scan")

        found, _ = await scanner.scan({}, topics=(replicas.topic,), source="/dimm/someone-else", limit=100)

        assert found == set()


class TestRetentionAndReplay:
    async def test_published_rows_are_kept_and_a_replay_publishes_them_again_with_their_ids(
        self, replicas: Replicas
    ) -> None:
        relay = await replicas.relay(replicas.lease())
        before = datetime.now(UTC) - timedelta(seconds=1)
        staged = [e.id for e in await replicas.stage(0, 30)]
        relay.start()
        try:
            await eventually(replicas.drained)
            kept = await replicas.db[OUTBOX_COLLECTION].count_documents({"published_at": {"$ne": None}})
            assert kept == 30  # published, marked, kept for the retention window
            assert await replay_outbox(replicas.db[OUTBOX_COLLECTION], since=before) == 30
            relay.notify()
            await eventually(replicas.drained)

            async def twice() -> bool:
                seen = await replicas.published_ids()
                return all(seen[event_id] == 2 for event_id in staged)

            await eventually(twice)
            # Rows published before the moment asked for stay as they are.
            assert await replay_outbox(replicas.db[OUTBOX_COLLECTION], since=datetime.now(UTC)) == 0
        finally:
            await relay.stop()
