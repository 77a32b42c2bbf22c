"""Outbox → relay → idempotent consumer on the real broker and database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from prometheus_client import CollectorRegistry
from pymongo.asynchronous.client_session import AsyncClientSession

from shared.events.envelope import Envelope, Event, EventRegistry, encode
from shared.logging import get_correlation_id, reset_correlation_id, set_correlation_id
from shared.messaging.consumer import PermanentError
from shared.messaging.kafka import KafkaSender
from shared.messaging.outbox import outbox_document
from shared.messaging.subscription import Subscription
from shared.messaging.topics import dead_letter_topic, events_topic
from shared.mongo import in_transaction
from shared.mongo_unit_of_work import MongoUnitOfWork
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


class Ping(Event):
    """Emitted by the test producer; `mode` tells the test handler how to behave."""

    event_type = "dimm.test.ping.v1"

    n: int
    mode: str = "ok"


async def on_ping(event: Ping, uow: MongoUnitOfWork) -> None:
    if event.mode == "always-fails":
        raise RuntimeError("this handler never succeeds")
    if event.mode == "permanent":
        raise PermanentError("this event can never be processed")
    await uow.db["effects"].update_one(
        {"_id": event.n},
        {"$inc": {"count": 1}, "$set": {"correlation_id": get_correlation_id()}},
        upsert=True,
        session=uow.session,
    )


@dataclass
class Pipeline:
    """A producing and a consuming service on the test backend."""

    producer: ServiceRuntime[MongoUnitOfWork]
    consumer: ServiceRuntime[MongoUnitOfWork]
    registry: CollectorRegistry
    backend: Backend

    async def emit(self, *events: Ping, subject: str = "org-1") -> list[Envelope]:
        async def work(session: AsyncClientSession) -> list[Envelope]:
            return await self.producer.outbox.add_many([(e, subject) for e in events], session=session)

        envelopes = await in_transaction(self.producer.client, work)
        self.producer.events_committed()
        return envelopes

    async def effect_counts(self) -> dict[int, int]:
        docs = await self.consumer.db["effects"].find().to_list(None)
        return {doc["_id"]: doc["count"] for doc in docs}

    def consumed(self, outcome: str) -> float:
        return self.registry.get_sample_value("dimm_consumer_events_total", {"outcome": outcome}) or 0.0


async def eventually(check: Callable[[], Any], *, timeout: float = 30.0) -> None:
    """Wait until an async predicate holds (the pipeline is asynchronous by nature)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.05)


def _settings(backend: Backend, name: str) -> ServiceSettings:
    return ServiceSettings(
        service_name=name,
        environment="test",
        kafka_bootstrap_servers=backend.kafka_bootstrap_servers,
        mongodb_url=backend.mongodb_url,
        consumer_max_attempts=3,
        consumer_retry_base_seconds=0.01,
        consumer_retry_max_seconds=0.05,
        topic_partitions=1,
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pipeline(backend: Backend) -> AsyncIterator[Pipeline]:
    uid = uuid.uuid4().hex[:8]
    events = EventRegistry()
    events.register(Ping)
    producer_name, consumer_name = f"prod{uid}", f"cons{uid}"
    producer = ServiceRuntime(
        _settings(backend, producer_name),
        registry=CollectorRegistry(),
        unit_of_work=MongoUnitOfWork,
        events=events,
    )
    registry = CollectorRegistry()
    subscription = Subscription[MongoUnitOfWork](events_topic(producer_name)).on(Ping, on_ping)
    consumer = ServiceRuntime(
        _settings(backend, consumer_name),
        registry=registry,
        unit_of_work=MongoUnitOfWork,
        subscription=subscription,
        events=events,
    )
    async with producer.running(), consumer.running():
        yield Pipeline(producer, consumer, registry, backend)


async def _dead_letters(backend: Backend, topic: str, expected: int) -> list[Any]:
    reader = AIOKafkaConsumer(
        topic, bootstrap_servers=backend.kafka_bootstrap_servers, auto_offset_reset="earliest", group_id=None
    )
    await reader.start()
    try:
        records: list[Any] = []
        deadline = asyncio.get_running_loop().time() + 30
        while len(records) < expected and asyncio.get_running_loop().time() < deadline:
            batch = await reader.getmany(timeout_ms=500)
            records += [r for rs in batch.values() for r in rs]
        return records
    finally:
        await reader.stop()


class TestOutboxToConsumer:
    async def test_every_staged_event_has_exactly_one_effect(self, pipeline: Pipeline) -> None:
        await pipeline.emit(*(Ping(n=i) for i in range(50)))

        async def all_applied() -> bool:
            return len(await pipeline.effect_counts()) == 50

        await eventually(all_applied)
        assert set((await pipeline.effect_counts()).values()) == {1}
        assert await pipeline.producer.outbox.pending() == 0


class TestCorrelation:
    async def test_the_handler_works_under_the_correlation_id_of_the_request(
        self, pipeline: Pipeline
    ) -> None:
        token = set_correlation_id("corr-from-request")
        try:
            await pipeline.emit(Ping(n=500))
        finally:
            reset_correlation_id(token)

        async def applied() -> bool:
            return (await pipeline.effect_counts()).get(500) == 1

        await eventually(applied)
        effect = await pipeline.consumer.db["effects"].find_one({"_id": 500})
        assert effect is not None
        assert effect["correlation_id"] == "corr-from-request"


class TestRedelivery:
    async def test_a_duplicate_delivery_has_no_second_effect(self, pipeline: Pipeline) -> None:
        [envelope] = await pipeline.emit(Ping(n=1000))

        async def applied() -> bool:
            return (await pipeline.effect_counts()).get(1000) == 1

        await eventually(applied)
        duplicates_before = pipeline.consumed("duplicate")
        record = encode(envelope)
        sender = KafkaSender(pipeline.backend.kafka_bootstrap_servers, client_id="test-replay")
        await sender.start()
        try:
            topic = pipeline.producer.outbox.topic
            await (await sender.send(topic, record.value, key=record.key, headers=record.headers))
        finally:
            await sender.stop()

        async def duplicate_seen() -> bool:
            return pipeline.consumed("duplicate") > duplicates_before

        await eventually(duplicate_seen)
        assert (await pipeline.effect_counts())[1000] == 1

    async def test_a_relay_that_died_before_marking_publishes_again_without_double_effect(
        self, pipeline: Pipeline
    ) -> None:
        envelopes = await pipeline.emit(*(Ping(n=2000 + i) for i in range(10)))

        async def applied() -> bool:
            counts = await pipeline.effect_counts()
            return all(counts.get(2000 + i) == 1 for i in range(10))

        await eventually(applied)
        duplicates_before = pipeline.consumed("duplicate")
        # As if the relay had published and died before removing them: the rows are still there.
        topic = pipeline.producer.outbox.topic
        await pipeline.producer.db["outbox"].insert_many([outbox_document(e, topic) for e in envelopes])
        pipeline.producer.events_committed()

        async def all_seen_twice() -> bool:
            return pipeline.consumed("duplicate") >= duplicates_before + 10

        await eventually(all_seen_twice)
        counts = await pipeline.effect_counts()
        assert [counts[2000 + i] for i in range(10)] == [1] * 10


class TestPoisonMessages:
    async def test_poison_messages_go_to_the_dead_letter_topic_while_the_next_ones_flow(
        self, pipeline: Pipeline
    ) -> None:
        topic = events_topic(pipeline.producer.name)
        sender = KafkaSender(pipeline.backend.kafka_bootstrap_servers, client_id="test-poison")
        await sender.start()
        try:
            await (await sender.send(topic, b"\x00not json", key=b"org-1", headers=[("ce_id", b"x")]))
        finally:
            await sender.stop()
        await pipeline.emit(Ping(n=3000, mode="always-fails"), Ping(n=3001, mode="permanent"))
        await pipeline.emit(*(Ping(n=3100 + i) for i in range(5)))

        async def next_ones_applied() -> bool:
            counts = await pipeline.effect_counts()
            return all(counts.get(3100 + i) == 1 for i in range(5))

        await eventually(next_ones_applied)
        letters = await _dead_letters(
            pipeline.backend, dead_letter_topic(pipeline.consumer.settings.consumer_group), 3
        )
        reasons = sorted(dict(r.headers)["dlq_reason"].decode() for r in letters)
        assert reasons == ["invalid-event", "permanent-error", "retries-exhausted"]
        exhausted = next(r for r in letters if dict(r.headers)["dlq_reason"] == b"retries-exhausted")
        assert dict(exhausted.headers)["dlq_attempts"] == b"3"
        assert b"never succeeds" in dict(exhausted.headers)["dlq_error"]
        assert 3000 not in await pipeline.effect_counts()
        dead_letters = pipeline.registry.get_sample_value(
            "dimm_dead_letters_total", {"topic": dead_letter_topic(pipeline.consumer.settings.consumer_group)}
        )
        assert dead_letters == 3
