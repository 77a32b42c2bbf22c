"""Idempotent, batched consumption with bounded retries, parking and a dead-letter topic."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from opentelemetry import trace
from opentelemetry.trace import Span, Tracer
from pymongo.asynchronous.client_session import AsyncClientSession

from shared.events.envelope import Envelope, Event, EventRegistry, InvalidEvent, decode
from shared.events.handling import PermanentError, WaitingFor
from shared.lease import Lease
from shared.logging import reset_correlation_id, set_correlation_id
from shared.messaging.dead_letters import ConsumedRecord, DeadLetterReason, DeadLetters, RetryPolicy
from shared.messaging.metrics import MessagingMetrics
from shared.messaging.parking import Parked, ParkedEvents, StoredRecord, deadline_after
from shared.messaging.resume import ParkingPolicy, Resumer
from shared.messaging.subscription import Route, Subscription
from shared.mongo import INFRASTRUCTURE_ERRORS, Database, ensure_index, utc_now
from shared.mongo_unit_of_work import MongoUnitOfWork
from shared.tracing import processing
from shared.unit_of_work import UnitOfWork, transactional

logger = logging.getLogger(__name__)

PROCESSED_COLLECTION = "processed_events"
PROCESSED_KEY_TTL_SECONDS = 30 * 24 * 3600

U = TypeVar("U", bound=UnitOfWork)
__all__ = ["ConsumedRecord", "DeadLetters", "Delivery", "IdempotentConsumer", "PermanentError", "RetryPolicy"]


@dataclass(frozen=True)
class Delivery:
    """A consumed record that decoded to an event this consumer handles."""

    record: ConsumedRecord
    envelope: Envelope
    payload: Event

    @property
    def key(self) -> str:
        """Return the event's dedupe key."""
        return self.envelope.dedupe_key


@dataclass
class Outcome:
    """What a transaction did: new events handled, events parked, dependencies now satisfied."""

    handled: int = 0
    parked: int = 0
    satisfied: list[str] = field(default_factory=list)


def _stored(record: ConsumedRecord) -> StoredRecord:
    return StoredRecord(
        record.topic, record.partition, record.offset, record.key, record.value, list(record.headers)
    )


class IdempotentConsumer(Generic[U]):
    """Apply each event's effect once: its dedupe key is written in the same transaction."""

    def __init__(
        self,
        *,
        unit_of_work: Callable[[], U],
        db: Database,
        registry: EventRegistry,
        subscription: Subscription[U],
        dead_letters: DeadLetters,
        retry: RetryPolicy,
        metrics: MessagingMetrics,
        parking: ParkingPolicy | None = None,
        sweep_lease: Lease | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._tracer = tracer or trace.get_tracer("dimm")
        self._processed = db[PROCESSED_COLLECTION]
        self.parked = ParkedEvents(db)
        self._registry = registry
        self._subscription = subscription
        self._dead_letters = dead_letters
        self._retry = retry
        self._metrics = metrics
        # Present at 0 from the start, so an increase() alert sees the very first dead letter.
        metrics.dead_letters.labels(dead_letters.topic)
        self.resumer = Resumer(
            self, parking or ParkingPolicy(), retry=retry, metrics=metrics, lease=sweep_lease
        )

    async def ensure_indexes(self) -> None:
        """Expire processed keys long after Kafka itself has dropped the events they guard."""
        await ensure_index(self._processed, "processed_at", expireAfterSeconds=PROCESSED_KEY_TTL_SECONDS)
        await self.parked.ensure_indexes()

    async def process(self, records: Sequence[ConsumedRecord]) -> None:
        """Handle a batch: one transaction for all, then one per event if any of them fails."""
        deliveries = await self._decode_all(records)
        if not deliveries:
            return
        satisfied: list[str] = []
        with self._metrics.batch_seconds.time():
            try:
                satisfied = (await self._transaction(deliveries)).satisfied
            except INFRASTRUCTURE_ERRORS:
                raise
            except Exception as exc:
                logger.info("batch of %d failed (%s); isolating each event", len(deliveries), exc)
                for delivery in deliveries:
                    satisfied += await self._process_one(delivery)
        await self.resume(satisfied)

    async def _decode_all(self, records: Sequence[ConsumedRecord]) -> list[Delivery]:
        deliveries: dict[str, Delivery] = {}
        for record in records:
            try:
                envelope = decode(record.headers, record.value)
                if self._subscription.route(self._registry.current_type(envelope.type)) is None:
                    self._metrics.consumed.labels("ignored").inc()
                    continue
                delivery = self.delivery(record, envelope)
            except InvalidEvent as exc:
                self._metrics.consumed.labels("invalid").inc()
                await self._dead_letters.send(record, reason="invalid-event", error=str(exc), attempts=1)
                self._metrics.dead_letters.labels(self._dead_letters.topic).inc()
                continue
            deliveries.setdefault(delivery.key, delivery)
        return list(deliveries.values())

    def delivery(self, record: ConsumedRecord, envelope: Envelope) -> Delivery:
        """Read an envelope as its newest version, tolerating fields this service does not know."""
        return Delivery(record, self._registry.upcast(envelope), self._registry.payload(envelope))

    def unit_of_work(self) -> U:
        """Return a new unit of work of the service (on MongoDB: the consumer writes its keys in it)."""
        uow = self._unit_of_work()
        if not isinstance(uow, MongoUnitOfWork):
            raise TypeError("the consumer needs a MongoDB unit of work")
        return uow

    @staticmethod
    def session(uow: UnitOfWork) -> AsyncClientSession | None:
        """Return the transaction of a unit of work made by `unit_of_work`."""
        assert isinstance(uow, MongoUnitOfWork)
        return uow.session

    @transactional
    async def _transaction(self, deliveries: Sequence[Delivery]) -> Outcome:
        uow = self.unit_of_work()
        async with uow:
            outcome = await self._apply(uow, deliveries)
            await uow.commit()
        self._metrics.consumed.labels("processed").inc(outcome.handled)
        self._metrics.consumed.labels("parked").inc(outcome.parked)
        self._metrics.consumed.labels("duplicate").inc(len(deliveries) - outcome.handled - outcome.parked)
        return outcome

    async def _apply(self, uow: U, deliveries: Sequence[Delivery]) -> Outcome:
        session = self.session(uow)
        keys = [d.key for d in deliveries]
        seen = {
            doc["_id"]
            async for doc in self._processed.find({"_id": {"$in": keys}}, {"_id": 1}, session=session)
        }
        fresh = [d for d in deliveries if d.key not in seen]
        outcome = Outcome()
        if not fresh:
            return outcome
        blocked = await self.parked.blocked((d.envelope.subject or "" for d in fresh), session=session)
        for delivery in fresh:
            subject = delivery.envelope.subject
            if subject in blocked:
                # An earlier event of this subject waits: this one waits behind it, in order.
                await self._park(delivery, None, session)
                outcome.parked += 1
                continue
            try:
                outcome.satisfied += await self.handle(delivery, uow)
                outcome.handled += 1
            except WaitingFor as waiting:
                await self._park(delivery, waiting.dependency, session)
                outcome.parked += 1
                if subject:
                    blocked.add(subject)
        now = datetime.now(UTC)
        await self._processed.insert_many(
            [{"_id": d.key, "type": d.envelope.type, "processed_at": now} for d in fresh], session=session
        )
        return outcome

    async def handle(self, delivery: Delivery, uow: U) -> list[str]:
        """Run the handler of a delivery; return the dependencies its event satisfies."""
        route = self._route(delivery)
        token = set_correlation_id(delivery.envelope.correlation_id or delivery.envelope.id)
        try:
            # What the handler emits is staged under this span, so the next event carries it on.
            with self._span(delivery):
                await route.handler(delivery.payload, uow)
        finally:
            reset_correlation_id(token)
        return list(route.satisfies(delivery.payload)) if route.satisfies else []

    def _span(self, delivery: Delivery) -> AbstractContextManager[Span]:
        return processing(
            self._tracer, delivery.envelope, topic=delivery.record.topic, group=self._dead_letters.group
        )

    def _route(self, delivery: Delivery) -> Route[U]:
        route = self._subscription.route(delivery.envelope.type)
        assert route is not None, "deliveries are only made for routed event types"
        return route

    async def _park(
        self, delivery: Delivery, dependency: str | None, session: AsyncClientSession | None
    ) -> None:
        now = utc_now()
        parked = Parked(
            key=delivery.key,
            envelope=delivery.envelope,
            record=_stored(delivery.record),
            waiting_for=dependency,
            parked_at=now,
            deadline=deadline_after(now, self.resumer.policy.max_seconds),
        )
        await self.parked.park(parked, session=session)
        logger.info(
            "parked %s %s: %s",
            delivery.envelope.type,
            delivery.envelope.id,
            dependency or "behind its subject",
        )

    async def _process_one(self, delivery: Delivery) -> list[str]:
        error, attempt = "", 0
        reason: DeadLetterReason = "retries-exhausted"
        for attempt in range(1, self._retry.max_attempts + 1):
            try:
                return (await self._transaction([delivery])).satisfied
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
        await self.dead_letter(delivery, reason=reason, error=error, attempts=attempt)
        return []

    async def dead_letter(
        self, delivery: Delivery, *, reason: DeadLetterReason, error: str, attempts: int
    ) -> None:
        """Send a delivery to the dead-letter topic, then run its give-up hook."""
        await self.dead_letter_record(delivery.record, reason=reason, error=error, attempts=attempts)
        await self._give_up(delivery, error)

    async def dead_letter_record(
        self, record: ConsumedRecord, *, reason: DeadLetterReason, error: str, attempts: int
    ) -> None:
        """Send a record to the dead-letter topic."""
        await self._dead_letters.send(record, reason=reason, error=error, attempts=attempts)
        self._metrics.consumed.labels("dead_lettered").inc()
        self._metrics.dead_letters.labels(self._dead_letters.topic).inc()

    async def _give_up(self, delivery: Delivery, error: str) -> None:
        hook = self._route(delivery).give_up
        if hook is None:
            return
        token = set_correlation_id(delivery.envelope.correlation_id or delivery.envelope.id)
        try:
            with self._span(delivery) as span:
                span.set_attribute("dimm.give_up", True)
                await self._run_give_up(hook, delivery.payload, error)
        finally:
            reset_correlation_id(token)

    @transactional
    async def _run_give_up(self, hook: Callable[[Any, U, str], Any], payload: Event, error: str) -> None:
        uow = self.unit_of_work()
        async with uow:
            await hook(payload, uow, error)
            await uow.commit()

    async def resume(self, dependencies: Sequence[str]) -> None:
        """Resume the events that waited for these dependencies."""
        if dependencies:
            await self.resumer.resume(dependencies)
