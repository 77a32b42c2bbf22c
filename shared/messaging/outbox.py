"""Transactional outbox: events are written with the state change, then relayed to Kafka.

A row is pending until the broker has acknowledged it; the relay then marks it published
(`published_at`) and keeps it for a retention window (a TTL index forgets it after), so what
was published can be published again — `dimm replay --since …`, or by the service itself when
the broker comes back without the topics it had (the embedded broker keeps them in memory).
Consumers are idempotent: a replayed event they have handled is a duplicate, never a second
effect. Replicas of a service share one outbox; the one holding the `outbox-relay` lease
publishes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka.errors import KafkaError
from bson import ObjectId
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from shared.aggregate import Recorded
from shared.background import Background
from shared.events.envelope import Envelope, Event, encode, new_envelope
from shared.events.trace_context import TraceContext
from shared.lease import Lease
from shared.logging import get_correlation_id
from shared.messaging.metrics import MessagingMetrics
from shared.messaging.reconcile import (
    Positions,
    PublishedScanner,
    RecordPosition,
    advance,
    positions_from_state,
    positions_to_state,
)
from shared.mongo import INFRASTRUCTURE_ERRORS, ensure_index
from shared.tracing import current_trace_context, publishing

logger = logging.getLogger(__name__)

OUTBOX_COLLECTION = "outbox"
RELAY_LEASE = "outbox-relay"
#: The rows the relay has still to publish (`published_at` missing or null).
PENDING: dict[str, Any] = {"published_at": None}


async def ensure_outbox_indexes(
    collection: AsyncCollection[dict[str, Any]], *, retention_seconds: int
) -> None:
    """Find pending rows fast, and forget published ones after the retention window."""
    await ensure_index(collection, "published_at", expireAfterSeconds=retention_seconds)


async def republish(
    collection: AsyncCollection[dict[str, Any]], selector: dict[str, Any], *, published_before: datetime
) -> int:
    """Make the published rows matching `selector` pending again if published before a moment.

    Reconciliation jobs use it for work that has not reached its next step in time: the same
    event, with the same id, goes out again; a consumer that had it skips it as a duplicate.
    """
    result = await collection.update_many(
        {**selector, "published_at": {"$ne": None, "$lt": published_before}}, {"$set": {"published_at": None}}
    )
    return result.modified_count


async def replay_outbox(
    collection: AsyncCollection[dict[str, Any]], *, since: datetime, types: Sequence[str] = ()
) -> int:
    """Make the rows published since `since` (of `types`, if given) pending again; return how many.

    The relay then publishes them again, in their original order, with their original ids.
    """
    selector: dict[str, Any] = {"published_at": {"$gte": since}}
    if types:
        selector["type"] = {"$in": list(types)}
    result = await collection.update_many(selector, {"$set": {"published_at": None}})
    return result.modified_count


_RELAY_PAUSES: tuple[type[Exception], ...] = (*INFRASTRUCTURE_ERRORS, KafkaError, OSError)


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
        "traceparent": envelope.trace.traceparent if envelope.trace else None,
        "tracestate": envelope.trace.tracestate if envelope.trace else None,
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
        trace=TraceContext.read(doc.get("traceparent"), doc.get("tracestate")),
    )


class Outbox:
    """Write outgoing events of one service inside the caller's transaction."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]], *, source: str, topic: str) -> None:
        self._collection = collection
        self.source = source
        self.topic = topic

    def envelope(
        self,
        event: Event,
        *,
        subject: str | None,
        trace: TraceContext | None = None,
        event_id: str | None = None,
        correlation_id: str | None = None,
    ) -> Envelope:
        """Wrap an event with this service's source and the correlation id and trace it was staged in."""
        return new_envelope(
            event,
            source=self.source,
            subject=subject,
            correlation_id=correlation_id or get_correlation_id(),
            trace=trace or current_trace_context(),
            event_id=event_id,
        )

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

    async def stage(self, recorded: Sequence[Recorded], *, session: AsyncClientSession | None) -> None:
        """Stage events a unit of work collected, each with the trace it was staged in."""
        documents = [
            outbox_document(
                self.envelope(
                    r.event,
                    subject=r.subject,
                    trace=r.trace,
                    event_id=r.event_id,
                    correlation_id=r.correlation_id,
                ),
                r.topic or self.topic,
            )
            for r in recorded
        ]
        if documents:
            await self._collection.insert_many(documents, session=session)

    async def pending(self) -> int:
        """Count the events written but not yet published."""
        return await self._collection.count_documents(PENDING)


class OutboxRelay:
    """Publish staged events in order, in batches, while holding the relay lease; then mark them.

    One relay of a service publishes at a time: the holder of its lease. After each acknowledged
    batch it records the positions reached in the lease, with a write that only the holder can
    make; a relay that takes the lease over first marks what the previous holder published but
    did not mark (see `shared.messaging.reconcile`).
    """

    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        sender: RecordSender,
        *,
        lease: Lease,
        scanner: PublishedScanner,
        source: str,
        topics: Sequence[str],
        metrics: MessagingMetrics,
        batch_size: int = 500,
        poll_seconds: float = 0.2,
        tracer: Tracer | None = None,
    ) -> None:
        self._collection = collection
        self._tracer = tracer or trace.get_tracer("dimm")
        self._sender = sender
        self._lease = lease
        self._scanner = scanner
        self._source = source
        self._topics = tuple(topics)
        self._metrics = metrics
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._relaying = Background("outbox-relay", self.run)
        self._positions: Positions = {}
        self._reconciled_term = 0

    def notify(self) -> None:
        """Say that new events were committed, so the relay does not wait for its next poll."""
        self._wake.set()

    async def relay_once(self) -> int:
        """Publish the oldest unpublished batch if we hold the lease; return how many events went out."""
        if not self._lease.held:
            return 0
        if self._reconciled_term != self._lease.term:
            await self._reconcile()
            if not self._lease.held:
                return 0
        return await self._publish_batch()

    async def _reconcile(self) -> None:
        """Mark the events the previous holder published but did not mark; record the ends."""
        term = self._lease.term
        found, ends = await self._scanner.scan(
            positions_from_state(self._lease.state),
            topics=self._topics,
            source=self._source,
            # The previous holder published at most one batch past its recorded positions.
            limit=2 * self._batch_size,
        )
        marked_count = 0
        if found:
            marked = await self._collection.update_many(
                {"event_id": {"$in": sorted(found)}, **PENDING},
                {"$set": {"published_at": datetime.now(UTC)}},
            )
            marked_count = marked.modified_count
        logger.info(
            "outbox relay took over: %d events found published past the recorded positions, "
            "%d of them still pending and marked published",
            len(found),
            marked_count,
        )
        if await self._lease.renew(state=positions_to_state(ends)):
            self._positions, self._reconciled_term = ends, term

    async def _publish_batch(self) -> int:
        docs = (
            await self._collection.find(PENDING).sort("_id", ASCENDING).limit(self._batch_size).to_list(None)
        )
        if not docs:
            self._metrics.outbox_oldest_seconds.set(0)
            return 0
        # Set before publishing: while the broker refuses, each retry shows the backlog growing older.
        oldest = _from_document(docs[0]).time
        self._metrics.outbox_oldest_seconds.set(max(0.0, (datetime.now(UTC) - oldest).total_seconds()))
        published = await self._send(docs)
        # Only now, with every record acknowledged: a crash before this line publishes again,
        # unless the next holder finds the batch past the recorded positions (reconcile).
        await self._collection.update_many(
            {"_id": {"$in": [doc["_id"] for doc in docs]}}, {"$set": {"published_at": datetime.now(UTC)}}
        )
        self._metrics.relay_published.inc(len(docs))
        positions = advance(self._positions, published)
        if not await self._lease.renew(state=positions_to_state(positions)):
            logger.warning("outbox relay lost its lease: it stops publishing")
            return len(docs)
        self._positions = positions
        if len(docs) < self._batch_size:
            self._metrics.outbox_pending.set(0)
        else:
            self._metrics.outbox_pending.set(await self._collection.count_documents(PENDING))
        return len(docs)

    async def _send(self, docs: Sequence[dict[str, Any]]) -> list[RecordPosition]:
        """Send a batch and wait for every acknowledgement, each traced event under a publish span."""
        spans: list[Span] = []
        futures = []
        try:
            for doc in docs:
                envelope = _from_document(doc)
                span = publishing(self._tracer, envelope, topic=doc["topic"])
                if span is not None:
                    spans.append(span)
                record = encode(envelope)
                futures.append(
                    await self._sender.send(
                        doc["topic"], record.value, key=record.key, headers=record.headers
                    )
                )
            published: list[RecordPosition] = await asyncio.gather(*futures)
        except BaseException as exc:
            for span in spans:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                span.end()
            raise
        for span in spans:
            span.end()
        return published

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
        """Start keeping the lease and relaying in the background."""
        self._lease.start()
        self._relaying.start()

    async def stop(self) -> None:
        """Stop relaying, then release the lease; what is unpublished stays in the outbox."""
        await self._relaying.stop()
        # Released only once no batch is in flight, so the next holder cannot overlap with us.
        await self._lease.stop()
