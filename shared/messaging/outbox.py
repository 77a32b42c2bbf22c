"""Transactional outbox: events are written with the state change, then relayed to Kafka.

The outbox holds only events not yet published: once the broker has acknowledged a batch,
the relay removes it. Removing costs the database half of what flagging each row would,
and Kafka's own retention keeps what was published.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from bson import ObjectId
from pymongo import ASCENDING, DeleteOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from shared.events.envelope import Envelope, Event, encode, new_envelope
from shared.logging import get_correlation_id
from shared.messaging.metrics import MessagingMetrics
from shared.mongo import INFRASTRUCTURE_ERRORS

logger = logging.getLogger(__name__)

OUTBOX_COLLECTION = "outbox"
_RELAY_PAUSES: tuple[type[Exception], ...] = (*INFRASTRUCTURE_ERRORS, OSError)


class RecordSender(Protocol):
    """The part of a Kafka producer the relay uses (aiokafka's `send`)."""

    async def send(
        self, topic: str, value: bytes, *, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> asyncio.Future[Any]: ...


def outbox_document(envelope: Envelope, topic: str) -> dict[str, Any]:
    """Return the outbox row of an envelope bound for a topic."""
    return {
        "_id": ObjectId(),
        "topic": topic,
        "event_id": envelope.id,
        "source": envelope.source,
        "type": envelope.type,
        "time": envelope.time,
        "subject": envelope.subject,
        "correlation_id": envelope.correlation_id,
        "data": envelope.data,
    }


def _from_document(doc: dict[str, Any]) -> Envelope:
    time: datetime = doc["time"]
    return Envelope(
        id=doc["event_id"],
        source=doc["source"],
        type=doc["type"],
        time=time if time.tzinfo else time.replace(tzinfo=UTC),
        data=doc["data"],
        subject=doc.get("subject"),
        correlation_id=doc.get("correlation_id"),
    )


class Outbox:
    """Write outgoing events of one service inside the caller's transaction."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]], *, source: str, topic: str) -> None:
        self._collection = collection
        self.source = source
        self.topic = topic

    def envelope(self, event: Event, *, subject: str | None) -> Envelope:
        """Wrap an event with this service's source and the current correlation id."""
        return new_envelope(event, source=self.source, subject=subject, correlation_id=get_correlation_id())

    async def add(self, event: Event, *, subject: str | None, session: AsyncClientSession | None) -> Envelope:
        """Stage one event in the caller's transaction."""
        envelope = self.envelope(event, subject=subject)
        await self._collection.insert_one(outbox_document(envelope, self.topic), session=session)
        return envelope

    async def add_many(
        self, events: Sequence[tuple[Event, str | None]], *, session: AsyncClientSession | None
    ) -> list[Envelope]:
        """Stage several (event, subject) pairs in the caller's transaction."""
        envelopes = [self.envelope(event, subject=subject) for event, subject in events]
        if envelopes:
            await self._collection.insert_many(
                [outbox_document(e, self.topic) for e in envelopes], session=session
            )
        return envelopes

    async def pending(self) -> int:
        """Count the events written but not yet published."""
        return await self._collection.count_documents({})


class OutboxRelay:
    """Publish staged events in order, in batches, then remove them from the outbox."""

    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        sender: RecordSender,
        *,
        metrics: MessagingMetrics,
        batch_size: int = 500,
        poll_seconds: float = 0.2,
    ) -> None:
        self._collection = collection
        self._sender = sender
        self._metrics = metrics
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def notify(self) -> None:
        """Say that new events were committed, so the relay does not wait for its next poll."""
        self._wake.set()

    async def relay_once(self) -> int:
        """Publish the oldest unpublished batch; return how many events went out."""
        docs = await self._collection.find().sort("_id", ASCENDING).limit(self._batch_size).to_list(None)
        if not docs:
            return 0
        futures = []
        for doc in docs:
            record = encode(_from_document(doc))
            futures.append(
                await self._sender.send(doc["topic"], record.value, key=record.key, headers=record.headers)
            )
        await asyncio.gather(*futures)
        # Only now, with every record acknowledged: a crash before this line publishes again.
        await self._collection.bulk_write([DeleteOne({"_id": doc["_id"]}) for doc in docs], ordered=False)
        self._metrics.relay_published.inc(len(docs))
        if len(docs) < self._batch_size:
            self._metrics.outbox_pending.set(0)
        else:
            self._metrics.outbox_pending.set(await self._collection.count_documents({}))
        return len(docs)

    async def run(self) -> None:
        """Relay until cancelled; survive broker and database outages with a pause."""
        while True:
            # Cleared before reading, so a notify() during the read is never lost.
            self._wake.clear()
            try:
                sent = await self.relay_once()
            except asyncio.CancelledError:
                raise
            except _RELAY_PAUSES as exc:
                logger.warning("outbox relay paused: %s", exc)
                self._metrics.relay_failures.inc()
                sent = 0
                await asyncio.sleep(1.0)
            except Exception:
                logger.exception("outbox relay failed; retrying")
                self._metrics.relay_failures.inc()
                sent = 0
                await asyncio.sleep(1.0)
            if sent < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)

    def start(self) -> None:
        """Start relaying in the background."""
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        """Stop relaying; what is unpublished stays in the outbox for the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
