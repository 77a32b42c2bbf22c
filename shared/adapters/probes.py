"""Where a service records the probes it answered: MongoDB, and in memory for tests."""

from __future__ import annotations

from datetime import datetime

from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource

PROBE_ANSWERS = "probe_answers"
PROBE_STATS = "probe_stats"


class MongoProbeAnswers:
    """One document per probe received, and a counter of all of them."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._answers = db[PROBE_ANSWERS]
        self._stats = db[PROBE_STATS]
        self._source = source

    async def record(self, probe_id: str, *, received_at: datetime) -> None:
        """Record a received probe (a second one for the same id is a doubled effect: it fails)."""
        session = self._source.session
        await self._answers.insert_one({"_id": probe_id, "received_at": received_at}, session=session)
        await self._stats.update_one(
            {"_id": "dimm.assessment.probe.requested.v1"},
            {"$inc": {"count": 1}, "$set": {"last_received_at": received_at}},
            upsert=True,
            session=session,
        )


class MemoryProbeAnswers:
    """Received probes kept in memory, for unit tests."""

    def __init__(self) -> None:
        self.received: dict[str, datetime] = {}

    async def record(self, probe_id: str, *, received_at: datetime) -> None:
        """Record a received probe."""
        if probe_id in self.received:
            raise ValueError(f"probe {probe_id} recorded twice")
        self.received[probe_id] = received_at
