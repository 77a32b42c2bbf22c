"""Events parked until what they depend on arrives, kept in the consuming service's database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bson import Binary, ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession

from shared.events.envelope import Envelope
from shared.events.trace_context import TraceContext
from shared.mongo import Database, ensure_index

PARKED_COLLECTION = "parked_events"


@dataclass(frozen=True)
class StoredRecord:
    """The consumed Kafka record, kept to dead-letter it as it was if its wait times out."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


@dataclass(frozen=True)
class Parked:
    """A parked event: what it waits for (None: an earlier event of its subject), until when."""

    key: str
    envelope: Envelope
    record: StoredRecord
    waiting_for: str | None
    parked_at: datetime
    deadline: datetime


def _to_document(parked: Parked) -> dict[str, Any]:
    e, r = parked.envelope, parked.record
    return {
        "_id": parked.key,
        "seq": ObjectId(),
        "subject": e.subject,
        "waiting_for": parked.waiting_for,
        "parked_at": parked.parked_at,
        "deadline": parked.deadline,
        "envelope": {
            "id": e.id,
            "source": e.source,
            "type": e.type,
            "time": e.time,
            "subject": e.subject,
            "correlation_id": e.correlation_id,
            "traceparent": e.trace.traceparent if e.trace else None,
            "tracestate": e.trace.tracestate if e.trace else None,
            "data": e.data,
        },
        "record": {
            "topic": r.topic,
            "partition": r.partition,
            "offset": r.offset,
            "key": Binary(r.key) if r.key is not None else None,
            "value": Binary(r.value) if r.value is not None else None,
            "headers": [[k, Binary(v)] for k, v in r.headers],
        },
    }


def _from_document(doc: dict[str, Any]) -> Parked:
    e, r = doc["envelope"], doc["record"]
    return Parked(
        key=doc["_id"],
        envelope=Envelope(
            id=e["id"],
            source=e["source"],
            type=e["type"],
            time=e["time"],
            data=e["data"],
            subject=e.get("subject"),
            correlation_id=e.get("correlation_id"),
            trace=TraceContext.read(e.get("traceparent"), e.get("tracestate")),
        ),
        record=StoredRecord(
            topic=r["topic"],
            partition=r["partition"],
            offset=r["offset"],
            key=bytes(r["key"]) if r["key"] is not None else None,
            value=bytes(r["value"]) if r["value"] is not None else None,
            headers=[(k, bytes(v)) for k, v in r["headers"]],
        ),
        waiting_for=doc.get("waiting_for"),
        parked_at=doc["parked_at"],
        deadline=doc["deadline"],
    )


class ParkedEvents:
    """The parked events of one consumer group; subjects keep their order while one waits."""

    def __init__(self, db: Database) -> None:
        self._collection = db[PARKED_COLLECTION]

    async def ensure_indexes(self) -> None:
        """Index by what they wait for and by subject in arrival order."""
        await ensure_index(self._collection, [("waiting_for", ASCENDING)])
        await ensure_index(self._collection, [("subject", ASCENDING), ("seq", ASCENDING)])
        await ensure_index(self._collection, [("deadline", ASCENDING)])

    async def park(self, parked: Parked, *, session: AsyncClientSession | None) -> None:
        """Park an event (its processed key is written in the same transaction by the caller)."""
        await self._collection.insert_one(_to_document(parked), session=session)

    async def blocked(self, subjects: Iterable[str], *, session: AsyncClientSession | None) -> set[str]:
        """Return which of these subjects have an event waiting, so later ones wait behind it."""
        wanted = [s for s in set(subjects) if s]
        if not wanted:
            return set()
        cursor = self._collection.find({"subject": {"$in": wanted}}, {"subject": 1}, session=session)
        return {doc["subject"] async for doc in cursor}

    async def heads_waiting_for(self, dependencies: Iterable[str], *, limit: int) -> list[Parked]:
        """Return parked events that wait for one of these dependencies."""
        cursor = self._collection.find({"waiting_for": {"$in": list(set(dependencies))}}).limit(limit)
        return [_from_document(doc) async for doc in cursor]

    async def oldest(self, *, limit: int) -> list[Parked]:
        """Return the oldest parked events, in arrival order."""
        cursor = self._collection.find({}).sort("seq", ASCENDING).limit(limit)
        return [_from_document(doc) async for doc in cursor]

    async def queue(
        self, subject: str | None, key: str, *, session: AsyncClientSession | None
    ) -> list[Parked]:
        """Return a head and the events of its subject parked behind it, in arrival order."""
        query: dict[str, Any] = {"subject": subject} if subject else {"_id": key}
        cursor = self._collection.find(query, session=session).sort("seq", ASCENDING)
        return [_from_document(doc) async for doc in cursor]

    async def take(self, key: str, *, session: AsyncClientSession | None) -> bool:
        """Remove a parked event being resumed; False if another consumer resumed it first."""
        result = await self._collection.delete_one({"_id": key}, session=session)
        return result.deleted_count == 1

    async def wait_again(self, key: str, dependency: str, *, session: AsyncClientSession | None) -> None:
        """Record that a resumed event now waits for something else."""
        await self._collection.update_one(
            {"_id": key}, {"$set": {"waiting_for": dependency}}, session=session
        )

    async def stats(self, now: datetime) -> tuple[int, float]:
        """Return how many events are parked and the age of the oldest, in seconds."""
        count = await self._collection.count_documents({})
        oldest = await self._collection.find_one({}, {"parked_at": 1}, sort=[("parked_at", ASCENDING)])
        age = (now - oldest["parked_at"]).total_seconds() if oldest else 0.0
        return count, max(0.0, age)


def deadline_after(now: datetime, seconds: float) -> datetime:
    """Return when a wait started now stops being a wait and becomes a failure."""
    return now + timedelta(seconds=seconds)
