"""`dimm bench bus`: the broker alone, the database alone, and the whole event pipeline."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer
from prometheus_client import CollectorRegistry
from pymongo.asynchronous.client_session import AsyncClientSession

from dimm.bench.stack import BenchTarget, bench_target
from shared.events.envelope import Event, EventRegistry, encode, new_envelope
from shared.logging import configure_logging
from shared.messaging.consumer import PROCESSED_KEY_TTL_SECONDS
from shared.messaging.kafka import KafkaSender
from shared.messaging.outbox import outbox_document
from shared.messaging.subscription import Subscription
from shared.messaging.topics import TopicSpec, events_topic, provision_topics
from shared.mongo import Client, create_client, in_transaction
from shared.mongo_unit_of_work import MongoUnitOfWork
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings

PADDING = "x" * 160
CONSUMER_BATCH = 200


class BenchPing(Event):
    """Emitted by the bus benchmark; about 200 bytes on the wire."""

    event_type = "dimm.bench.ping.v1"

    n: int
    sent_at: datetime
    padding: str = PADDING


@dataclass(frozen=True)
class Figures:
    """What one measurement gave."""

    rate: float
    p50_ms: float | None = None
    p99_ms: float | None = None


def percentile(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def measure_broker(target: BenchTarget, events: int) -> Figures:
    """Produce then consume `events` records with aiokafka alone."""
    topic = f"dimm.bench.raw.{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(provision_topics, target.kafka_bootstrap_servers, [TopicSpec(topic, 3, 1)])
    record = encode(
        new_envelope(BenchPing(n=0, sent_at=datetime.now(UTC)), source="/dimm/bench", subject="org")
    )
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=target.kafka_bootstrap_servers,
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        max_poll_records=2000,
    )
    sender = KafkaSender(target.kafka_bootstrap_servers, client_id="dimm-bench")
    await consumer.start()
    await sender.start()
    try:
        started = time.perf_counter()
        futures = [
            await sender.send(topic, record.value, key=str(i % 64).encode(), headers=record.headers)
            for i in range(events)
        ]
        await asyncio.gather(*futures)
        received = 0
        while received < events:
            batch = await consumer.getmany(timeout_ms=1000)
            received += sum(len(records) for records in batch.values())
        return Figures(events / (time.perf_counter() - started))
    finally:
        await sender.stop()
        await consumer.stop()


async def _consume_directly(client: Client, db: Any, documents: list[dict[str, Any]]) -> None:
    processed, effects = db["processed_events"], db["effects"]
    for start in range(0, len(documents), CONSUMER_BATCH):
        chunk = documents[start : start + CONSUMER_BATCH]

        async def work(session: AsyncClientSession, chunk: list[dict[str, Any]] = chunk) -> None:
            keys = [f"{d['source']}#{d['event_id']}" for d in chunk]
            seen = {
                d["_id"] async for d in processed.find({"_id": {"$in": keys}}, {"_id": 1}, session=session)
            }
            for doc in chunk:
                await effects.update_one(
                    {"_id": doc["data"]["n"]}, {"$inc": {"count": 1}}, upsert=True, session=session
                )
            fresh = [k for k in keys if k not in seen]
            now = datetime.now(UTC)
            await processed.insert_many([{"_id": k, "processed_at": now} for k in fresh], session=session)

        await in_transaction(client, work)


async def measure_database(target: BenchTarget, events: int, batch: int) -> Figures:
    """Do the pipeline's database writes directly: outbox inserts, then the consumer's transactions."""
    client = create_client(target.mongodb_url, app_name="dimm-bench")
    db = client[f"bench_raw_{uuid.uuid4().hex[:8]}"]
    # The consumer's own index, so both sides pay for the same writes.
    await db["processed_events"].create_index("processed_at", expireAfterSeconds=PROCESSED_KEY_TTL_SECONDS)
    try:
        envelopes = [
            new_envelope(BenchPing(n=i, sent_at=datetime.now(UTC)), source="/dimm/bench", subject="org")
            for i in range(events)
        ]
        documents = [outbox_document(e, "topic") for e in envelopes]
        started = time.perf_counter()
        for start in range(0, events, batch):
            chunk = documents[start : start + batch]

            async def write(session: AsyncClientSession, chunk: list[dict[str, Any]] = chunk) -> None:
                await db["outbox"].insert_many(chunk, session=session)

            await in_transaction(client, write)
        await _consume_directly(client, db, documents)
        return Figures(events / (time.perf_counter() - started))
    finally:
        await client.drop_database(db.name)
        await client.close()


def _settings(target: BenchTarget, name: str) -> ServiceSettings:
    return ServiceSettings(
        service_name=name,
        environment="test",
        kafka_bootstrap_servers=target.kafka_bootstrap_servers,
        mongodb_url=target.mongodb_url,
        consumer_batch_size=CONSUMER_BATCH,
    )


async def _emit(producer: ServiceRuntime[MongoUnitOfWork], numbers: range, batch: int) -> None:
    for start in range(numbers.start, numbers.stop, batch):
        async with producer.unit_of_work() as uow:
            now = datetime.now(UTC)
            for n in range(start, min(start + batch, numbers.stop)):
                uow.emit(BenchPing(n=n, sent_at=now), subject=f"org-{n % 64}")
            await uow.commit()


async def _wait_processed(registry: CollectorRegistry, count: int) -> None:
    while (registry.get_sample_value("dimm_consumer_events_total", {"outcome": "processed"}) or 0) < count:
        await asyncio.sleep(0.01)


async def measure_pipeline(target: BenchTarget, events: int, batch: int) -> Figures:
    """Outbox write → relay → Kafka → idempotent consumer, with per-event latency."""
    uid = uuid.uuid4().hex[:8]
    latencies: dict[int, float] = {}
    registry = EventRegistry()
    registry.register(BenchPing)

    async def on_ping(event: BenchPing, uow: MongoUnitOfWork) -> None:
        await uow.db["effects"].update_one(
            {"_id": event.n}, {"$inc": {"count": 1}}, upsert=True, session=uow.session
        )
        latencies[event.n] = (datetime.now(UTC) - event.sent_at).total_seconds()

    producer = ServiceRuntime(
        _settings(target, f"benchp{uid}"),
        registry=CollectorRegistry(),
        unit_of_work=MongoUnitOfWork,
        events=registry,
    )
    metrics = CollectorRegistry()
    subscription = Subscription[MongoUnitOfWork](events_topic(f"benchp{uid}")).on(BenchPing, on_ping)
    consumer = ServiceRuntime(
        _settings(target, f"benchc{uid}"),
        registry=metrics,
        unit_of_work=MongoUnitOfWork,
        subscription=subscription,
        events=registry,
    )
    async with producer.running(), consumer.running():
        await _emit(producer, range(-1, 0), batch)  # warm-up: the consumer group has joined after it
        await _wait_processed(metrics, 1)
        latencies.clear()
        started = time.perf_counter()
        await _emit(producer, range(events), batch)
        await _wait_processed(metrics, events + 1)
        elapsed = time.perf_counter() - started
        for runtime in (producer, consumer):
            await runtime.client.drop_database(runtime.settings.mongodb_database)
    values = [v * 1000 for v in latencies.values()]
    return Figures(events / elapsed, percentile(values, 0.5), percentile(values, 0.99))


async def run_bus_bench(*, events: int, batch: int, echo: Callable[[str], None]) -> None:
    """Run the three measurements on one broker and database and print the figures."""
    configure_logging(service="bench", level="WARNING")
    with bench_target() as target:
        echo(
            f"dimm bench bus: {events} events of ~200 bytes, {batch} per producing transaction, "
            f"{CONSUMER_BATCH} per consuming transaction, on {target.description}"
        )
        broker = await measure_broker(target, events)
        echo(f"  broker alone     aiokafka produce → consume           {broker.rate:10,.0f} events/s")
        database = await measure_database(target, events, batch)
        echo(f"  database alone   outbox insert + consumer transaction {database.rate:10,.0f} events/s")
        pipeline = await measure_pipeline(target, events, batch)
        echo(
            f"  pipeline         outbox → relay → idempotent consumer {pipeline.rate:10,.0f} events/s"
            f"   p50 {pipeline.p50_ms:,.0f} ms   p99 {pipeline.p99_ms:,.0f} ms"
        )
        echo(
            f"  ratios           pipeline/database {pipeline.rate / database.rate:.2f}"
            f"   pipeline/broker {pipeline.rate / broker.rate:.3f}"
        )
