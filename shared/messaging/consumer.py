"""Idempotent, batched consumption with bounded retries and a dead-letter topic."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.events.envelope import Envelope, Event, EventRegistry, InvalidEvent, decode
from shared.logging import reset_correlation_id, set_correlation_id
from shared.messaging.metrics import MessagingMetrics
from shared.messaging.outbox import Outbox, RecordSender
from shared.mongo import INFRASTRUCTURE_ERRORS, Client, ensure_index, in_transaction

logger = logging.getLogger(__name__)

PROCESSED_COLLECTION = "processed_events"
MAX_ERROR_HEADER = 1_000
PROCESSED_KEY_TTL_SECONDS = 30 * 24 * 3600


class PermanentError(Exception):
    """A failure that retrying cannot fix: the event goes straight to the dead-letter topic."""


class ConsumedRecord(Protocol):
    """The fields of a Kafka record the consumer reads (aiokafka's ConsumerRecord has them)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


@dataclass(frozen=True)
class UnitOfWork:
    """What a handler gets: the open transaction, the service database and its outbox."""

    session: AsyncClientSession
    db: AsyncDatabase[dict[str, Any]]
    outbox: Outbox
    envelope: Envelope

    async def emit(self, event: Event, *, subject: str | None) -> Envelope:
        """Stage an outgoing event in the same transaction as the handler's writes."""
        return await self.outbox.add(event, subject=subject, session=self.session)


Handler = Callable[[Any, UnitOfWork], Awaitable[None]]
GiveUpHandler = Callable[[Any, UnitOfWork, str], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """The topics a service consumes and the handler of each event type it cares about."""

    topics: tuple[str, ...]
    handlers: Mapping[str, Handler]
    give_up: Mapping[str, GiveUpHandler] = field(default_factory=dict)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter."""

    max_attempts: int = 5
    base_seconds: float = 0.2
    max_seconds: float = 5.0

    def delay(self, attempt: int) -> float:
        """Return how long to wait after the given failed attempt (1-based)."""
        ceiling = min(self.max_seconds, self.base_seconds * 2.0 ** (attempt - 1))
        return ceiling * (0.5 + random.random() / 2)


@dataclass(frozen=True)
class Delivery:
    """A consumed record that decoded to an event this consumer handles."""

    record: ConsumedRecord
    envelope: Envelope
    payload: Event


class DeadLetters:
    """Send records that cannot be processed to the consumer group's dead-letter topic."""

    def __init__(self, sender: RecordSender, *, topic: str, group: str) -> None:
        self._sender = sender
        self.topic = topic
        self._group = group

    async def send(self, record: ConsumedRecord, *, reason: str, error: str, attempts: int) -> None:
        """Publish the original record with the failure in headers and wait for the broker."""
        headers = [(k, v) for k, v in record.headers if not k.startswith("dlq_")]
        headers += [
            ("dlq_reason", reason.encode()),
            ("dlq_error", error[:MAX_ERROR_HEADER].encode("utf-8", "replace")),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_group", self._group.encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
            ("dlq_failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        future = await self._sender.send(self.topic, record.value or b"", key=record.key, headers=headers)
        await future
        logger.warning(
            "dead-lettered %s[%s]@%s to %s: %s",
            record.topic,
            record.partition,
            record.offset,
            self.topic,
            reason,
        )


class IdempotentConsumer:
    """Apply each event's effect once: its dedupe key is written in the same transaction."""

    def __init__(
        self,
        *,
        client: Client,
        db: AsyncDatabase[dict[str, Any]],
        registry: EventRegistry,
        subscription: Subscription,
        outbox: Outbox,
        dead_letters: DeadLetters,
        retry: RetryPolicy,
        metrics: MessagingMetrics,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._client = client
        self._db = db
        self._processed = db[PROCESSED_COLLECTION]
        self._registry = registry
        self._subscription = subscription
        self._outbox = outbox
        self._dead_letters = dead_letters
        self._retry = retry
        self._metrics = metrics
        self._on_commit = on_commit

    async def ensure_indexes(self) -> None:
        """Expire processed keys long after Kafka itself has dropped the events they guard."""
        await ensure_index(self._processed, "processed_at", expireAfterSeconds=PROCESSED_KEY_TTL_SECONDS)

    async def process(self, records: Sequence[ConsumedRecord]) -> None:
        """Handle a batch: one transaction for all, then one per event if any of them fails."""
        deliveries = await self._decode_all(records)
        if not deliveries:
            return
        with self._metrics.batch_seconds.time():
            try:
                fresh = await in_transaction(self._client, lambda s: self._apply(s, deliveries))
                self._count(fresh, len(deliveries))
            except INFRASTRUCTURE_ERRORS:
                raise
            except Exception as exc:
                logger.info("batch of %d failed (%s); isolating each event", len(deliveries), exc)
                for delivery in deliveries:
                    await self._process_one(delivery)
        self._on_commit()

    def _count(self, fresh: int, total: int) -> None:
        self._metrics.consumed.labels("processed").inc(fresh)
        self._metrics.consumed.labels("duplicate").inc(total - fresh)

    async def _decode_all(self, records: Sequence[ConsumedRecord]) -> list[Delivery]:
        deliveries: dict[str, Delivery] = {}
        for record in records:
            try:
                envelope = decode(record.headers, record.value)
                if self._registry.current_type(envelope.type) not in self._subscription.handlers:
                    self._metrics.consumed.labels("ignored").inc()
                    continue
                payload = self._registry.payload(envelope)
            except InvalidEvent as exc:
                self._metrics.consumed.labels("invalid").inc()
                await self._dead_letters.send(record, reason="invalid-event", error=str(exc), attempts=1)
                continue
            deliveries.setdefault(
                envelope.dedupe_key, Delivery(record, self._registry.upcast(envelope), payload)
            )
        return list(deliveries.values())

    async def _apply(self, session: AsyncClientSession, deliveries: Sequence[Delivery]) -> int:
        keys = [d.envelope.dedupe_key for d in deliveries]
        cursor = self._processed.find({"_id": {"$in": keys}}, {"_id": 1}, session=session)
        seen = {doc["_id"] async for doc in cursor}
        fresh = [d for d in deliveries if d.envelope.dedupe_key not in seen]
        for delivery in fresh:
            await self._run_handler(delivery, session)
        if fresh:
            now = datetime.now(UTC)
            await self._processed.insert_many(
                [{"_id": d.envelope.dedupe_key, "type": d.envelope.type, "processed_at": now} for d in fresh],
                session=session,
            )
        return len(fresh)

    async def _run_handler(self, delivery: Delivery, session: AsyncClientSession) -> None:
        envelope = delivery.envelope
        handler = self._subscription.handlers[envelope.type]
        token = set_correlation_id(envelope.correlation_id or envelope.id)
        try:
            await handler(delivery.payload, UnitOfWork(session, self._db, self._outbox, envelope))
        finally:
            reset_correlation_id(token)

    async def _process_one(self, delivery: Delivery) -> None:
        error, reason, attempt = "", "retries-exhausted", 0
        for attempt in range(1, self._retry.max_attempts + 1):
            try:
                fresh = await in_transaction(self._client, lambda s: self._apply(s, [delivery]))
                self._count(fresh, 1)
                return
            except INFRASTRUCTURE_ERRORS:
                raise
            except PermanentError as exc:
                error, reason = str(exc), "permanent-error"
                break
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                logger.warning("attempt %d of %s failed: %s", attempt, delivery.envelope.type, error)
                if attempt < self._retry.max_attempts:
                    self._metrics.retries.inc()
                    await asyncio.sleep(self._retry.delay(attempt))
        await self._dead_letters.send(delivery.record, reason=reason, error=error, attempts=attempt)
        self._metrics.consumed.labels("dead_lettered").inc()
        await self._give_up(delivery, error)

    async def _give_up(self, delivery: Delivery, error: str) -> None:
        hook = self._subscription.give_up.get(delivery.envelope.type)
        if hook is None:
            return

        async def work(session: AsyncClientSession) -> None:
            await hook(
                delivery.payload, UnitOfWork(session, self._db, self._outbox, delivery.envelope), error
            )

        token = set_correlation_id(delivery.envelope.correlation_id or delivery.envelope.id)
        try:
            await in_transaction(self._client, work)
        finally:
            reset_correlation_id(token)
