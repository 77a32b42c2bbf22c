"""Resume parked events when what they waited for arrives; report and dead-letter long waits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

from shared.background import Background
from shared.events.envelope import InvalidEvent
from shared.events.handling import WaitingFor
from shared.lease import Lease
from shared.messaging.dead_letters import DeadLetterReason
from shared.messaging.metrics import MessagingMetrics
from shared.messaging.parking import Parked
from shared.mongo import INFRASTRUCTURE_ERRORS, utc_now
from shared.unit_of_work import UnitOfWork, transactional

if TYPE_CHECKING:
    from shared.messaging.consumer import Delivery, IdempotentConsumer, RetryPolicy

logger = logging.getLogger(__name__)

U = TypeVar("U", bound=UnitOfWork)
Resumed = Literal["done", "waiting", "gone"]


@dataclass(frozen=True)
class ParkingPolicy:
    """How long an event may wait for its dependency, and how often waits are looked at again."""

    max_seconds: float = 900.0
    sweep_seconds: float = 5.0
    sweep_limit: int = 500


class Resumer(Generic[U]):
    """Take parked events up again, in their subject's order, once they can be handled."""

    def __init__(
        self,
        consumer: IdempotentConsumer[U],
        policy: ParkingPolicy,
        *,
        retry: RetryPolicy,
        metrics: MessagingMetrics,
        lease: Lease | None = None,
    ) -> None:
        self._consumer = consumer
        self._parked = consumer.parked
        self.policy = policy
        self._retry = retry
        self._metrics = metrics
        self._lease = lease
        self._sweeping = Background("parked-events-sweeper", self.run)

    async def resume(self, dependencies: Sequence[str]) -> None:
        """Resume the events waiting for these dependencies (and those queued behind them)."""
        while True:
            heads = await self._parked.heads_waiting_for(dependencies, limit=self.policy.sweep_limit)
            progressed = False
            for head in _one_per_subject(heads):
                progressed |= await self._resume_queue(head)
            # More than one page waited, and this one moved: look again; else the sweep goes on.
            if len(heads) < self.policy.sweep_limit or not progressed:
                return

    async def sweep(self) -> None:
        """Look at every wait again: resume what can go on, dead-letter what waited too long."""
        now = utc_now()
        for head in _one_per_subject(await self._parked.oldest(limit=self.policy.sweep_limit)):
            if head.deadline <= now:
                await self._expire(head)
            await self._resume_queue(head)
        count, age = await self._parked.stats(utc_now())
        self._metrics.parked.set(count)
        self._metrics.parked_oldest_seconds.set(age)

    async def _resume_queue(self, head: Parked) -> bool:
        """Resume a subject's queue from its head, in order; say whether any event went on."""
        satisfied: list[str] = []
        progressed = False
        for item in await self._parked.queue(head.envelope.subject, head.key, session=None):
            outcome, brought = await self._resume_one(item)
            satisfied += brought
            if outcome != "done":
                break  # still waiting, or another consumer has this queue in hand
            progressed = True
        if satisfied:
            await self.resume(satisfied)
        return progressed

    async def _resume_one(self, item: Parked) -> tuple[Resumed, list[str]]:
        try:
            delivery = self._consumer.delivery(item.record, item.envelope)
        except InvalidEvent as exc:
            return await self._fail(item, None, reason="invalid-event", error=str(exc), attempts=1)
        error, attempt = "", 0
        for attempt in range(1, self._retry.max_attempts + 1):
            try:
                return await self._run(item, delivery)
            except INFRASTRUCTURE_ERRORS:
                raise
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                logger.warning("resuming %s failed (attempt %d): %s", item.envelope.type, attempt, error)
                if attempt < self._retry.max_attempts:
                    await asyncio.sleep(self._retry.delay(attempt))
        return await self._fail(item, delivery, reason="retries-exhausted", error=error, attempts=attempt)

    @transactional
    async def _run(self, item: Parked, delivery: Delivery) -> tuple[Resumed, list[str]]:
        uow = self._consumer.unit_of_work()
        async with uow:
            if not await self._parked.take(item.key, session=self._consumer.session(uow)):
                return "gone", []
            try:
                satisfied = await self._consumer.handle(delivery, uow)
            except WaitingFor as waiting:
                dependency = waiting.dependency
            else:
                await uow.commit()
                self._metrics.consumed.labels("resumed").inc()
                return "done", satisfied
        # Rolled back, so the event is still parked: it now waits for something else.
        await self._parked.wait_again(item.key, dependency, session=None)
        return "waiting", []

    async def _expire(self, head: Parked) -> None:
        waited = (utc_now() - head.parked_at).total_seconds()
        logger.error(
            "%s %s waited %.0fs for %s: dead-lettered",
            head.envelope.type,
            head.envelope.id,
            waited,
            head.waiting_for or "an earlier event of its subject",
        )
        try:
            delivery = self._consumer.delivery(head.record, head.envelope)
        except InvalidEvent:
            delivery = None
        await self._fail(
            head,
            delivery,
            reason="dependency-timeout",
            error=f"waited {waited:.0f}s for {head.waiting_for}",
            attempts=1,
        )

    async def _fail(
        self,
        item: Parked,
        delivery: Delivery | None,
        *,
        reason: DeadLetterReason,
        error: str,
        attempts: int,
    ) -> tuple[Resumed, list[str]]:
        if delivery is None:
            await self._consumer.dead_letter_record(
                item.record, reason=reason, error=error, attempts=attempts
            )
        else:
            await self._consumer.dead_letter(delivery, reason=reason, error=error, attempts=attempts)
        await self._parked.take(item.key, session=None)
        return "done", []

    async def run(self) -> None:
        """Sweep until cancelled, in the one replica holding the sweep lease; survive outages."""
        while True:
            await asyncio.sleep(self.policy.sweep_seconds)
            if self._lease is not None and not self._lease.held:
                continue  # another replica sweeps: one alone dead-letters and reports a timeout
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("sweeping parked events failed; trying again later")

    def start(self) -> None:
        """Sweep in the background (and compete for the sweep lease)."""
        if self._lease is not None:
            self._lease.start()
        self._sweeping.start()

    async def stop(self) -> None:
        """Stop sweeping and give the sweep lease up."""
        await self._sweeping.stop()
        if self._lease is not None:
            await self._lease.stop()


def _one_per_subject(parked: Sequence[Parked]) -> list[Parked]:
    """Keep the first parked event of each subject (events without a subject stand alone)."""
    seen: set[str] = set()
    heads = []
    for item in parked:
        subject = item.envelope.subject
        if subject and subject in seen:
            continue
        if subject:
            seen.add(subject)
        heads.append(item)
    return heads
