"""Use cases of webhook delivery: attempts on the retry schedule, the endpoint's health, replays."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from services.watch.domain.deliveries import AttemptResult, Delivery, DeliveryStatus, Outcome, RetrySchedule
from services.watch.domain.webhooks import headers
from services.watch.service_layer.mailings import MailLinks, stage_endpoint_disabled
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.errors import NotFound
from shared.mongo import utc_now
from shared.unit_of_work import transactional

logger = logging.getLogger(__name__)


class Sender(Protocol):
    """What delivers one attempt (the SSRF-guarded HTTP client)."""

    async def deliver(
        self, endpoint_url: str, headers: Mapping[str, str], body: bytes, *, redact: Sequence[str] = ()
    ) -> AttemptResult:
        """Make one attempt."""


class DeliveryObserver(Protocol):
    """What is told, after the commit, that a delivery ended or an endpoint was disabled (metrics)."""

    def delivery_closed(self, status: DeliveryStatus) -> None:
        """A delivery left pending: delivered, exhausted or cancelled."""

    def endpoint_disabled(self) -> None:
        """An endpoint was disabled (gone, or failing for the whole window)."""


CONCURRENT_ATTEMPTS = 32
"""Attempts in flight at once: a slow receiver (up to the 15 s timeout) does not hold the others back."""


async def deliver_due(
    *,
    unit_of_work: Callable[[], WatchUnitOfWork],
    sender: Sender,
    schedule: RetrySchedule,
    disable_after: float,
    limit: int = 256,
    links: MailLinks | None = None,
    observer: DeliveryObserver | None = None,
) -> int:
    """Attempt every due delivery once, several at a time; return how many attempts were made."""
    async with (uow := unit_of_work()):
        due = list(await uow.deliveries.due(utc_now(), limit=limit))
    gate = asyncio.Semaphore(CONCURRENT_ATTEMPTS)

    async def one(delivery: Delivery) -> None:
        async with gate:
            await attempt(
                delivery,
                uow=unit_of_work(),
                sender=sender,
                schedule=schedule,
                disable_after=disable_after,
                links=links,
                observer=observer,
            )

    await asyncio.gather(*(one(delivery) for delivery in due))
    return len(due)


async def attempt(
    delivery: Delivery,
    *,
    uow: WatchUnitOfWork,
    sender: Sender,
    schedule: RetrySchedule,
    disable_after: float,
    links: MailLinks | None = None,
    observer: DeliveryObserver | None = None,
) -> None:
    """Make one attempt of a delivery (outside any transaction), then record it and the endpoint's health."""
    async with uow:
        endpoint = await uow.endpoints.get(delivery.endpoint_id)
        message = await uow.deliveries.message(delivery.message_id)
    if endpoint is None or message is None or not endpoint.enabled:
        await _cancel(delivery.message_id, delivery.endpoint_id, uow=uow)
        return
    at = utc_now()
    secrets = endpoint.signing_secrets(at)
    sent = headers(secrets, message.id, int(at.timestamp()), message.payload)
    result = await sender.deliver(endpoint.url, sent, message.payload, redact=secrets)
    closed, disabled = await _record(
        delivery, result, uow=uow, schedule=schedule, disable_after=disable_after, at=utc_now(), links=links
    )
    if observer is not None:
        if closed is not None:
            observer.delivery_closed(closed)
        if disabled:
            observer.endpoint_disabled()


@transactional
async def _record(
    delivery: Delivery,
    result: AttemptResult,
    *,
    uow: WatchUnitOfWork,
    schedule: RetrySchedule,
    disable_after: float,
    at: datetime,
    links: MailLinks | None,
) -> tuple[DeliveryStatus | None, bool]:
    """Record an attempt; return the final status if the delivery closed, and if the endpoint was disabled."""
    async with uow:
        current = await uow.deliveries.get(delivery.message_id, delivery.endpoint_id)
        endpoint = await uow.endpoints.get(delivery.endpoint_id)
        if current is None or endpoint is None or current.attempts != delivery.attempts:
            return None, False  # another attempt was recorded meanwhile: this one is not the schedule's
        current.record_attempt(result, at=at, schedule=schedule, rng=random.Random())
        disabled = False
        if result.outcome is Outcome.DELIVERED:
            endpoint.record_success(at)
        elif result.outcome is Outcome.GONE:
            disabled = endpoint.gone(at)
        else:
            disabled = endpoint.record_failure(at, window=timedelta(days=disable_after))
        if disabled and links is not None:
            await stage_endpoint_disabled(uow, endpoint, links=links, at=at)
        await uow.deliveries.save(current)
        await uow.endpoints.save(endpoint)
        uow.collect(endpoint)
        await uow.commit()
    logger.info("delivery %s: attempt %d %s", current.message_id, len(current.attempts), result.outcome)
    return (None if current.status is DeliveryStatus.PENDING else current.status), disabled


@transactional
async def _cancel(message_id: str, endpoint_id: str, *, uow: WatchUnitOfWork) -> None:
    async with uow:
        delivery = await uow.deliveries.get(message_id, endpoint_id)
        if delivery is not None and delivery.cancel():
            await uow.deliveries.save(delivery)
            await uow.commit()


@transactional
async def replay(
    endpoint_id: str, *, uow: WatchUnitOfWork, message_id: str | None = None, since: datetime | None = None
) -> int:
    """Send one message, or every message since a date, again to an endpoint; return how many."""
    at, replayed = utc_now(), 0
    async with uow:
        if message_id is not None:
            found = await uow.deliveries.get(message_id, endpoint_id)
            if found is None:
                raise NotFound(f"No message {message_id!r} for this endpoint.")
            deliveries = [found]
        else:
            deliveries = await uow.deliveries.of_endpoint(endpoint_id, since=since)
        for delivery in deliveries:
            if delivery.status.value != "pending":
                delivery.replay(at)
                await uow.deliveries.save(delivery)
                replayed += 1
        await uow.commit()
    return replayed
