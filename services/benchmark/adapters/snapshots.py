"""Published snapshots in the benchmark database: a document per snapshot, one per cohort."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.benchmark.adapters.documents import cohort_from_document, cohort_to_document, key_id
from services.benchmark.domain.cohorts import CohortKey
from services.benchmark.domain.publications import SnapshotRecord
from services.benchmark.domain.snapshots import CohortStats
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource

KEEP_SNAPSHOTS = 7


def _meta(record: SnapshotRecord) -> dict[str, Any]:
    return {
        "_id": record.snapshot_id,
        "model_id": record.model_id,
        "model_version": record.model_version,
        "taken_at": record.taken_at,
        "min_cohort_size": record.min_cohort_size,
        "organisations": record.organisations,
    }


def _record(doc: dict[str, Any]) -> SnapshotRecord:
    return SnapshotRecord(
        snapshot_id=doc["_id"],
        model_id=doc["model_id"],
        model_version=doc["model_version"],
        taken_at=doc["taken_at"],
        min_cohort_size=doc["min_cohort_size"],
        organisations=doc["organisations"],
    )


class MongoSnapshotRepository:
    """Cohorts are written first, then the snapshot document that makes them current."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._snapshots = db["snapshots"]
        self._cohorts = db["snapshot_cohorts"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index snapshots by model and date, cohorts by snapshot."""
        await self._snapshots.create_index([("model_id", ASCENDING), ("taken_at", DESCENDING)])
        await self._cohorts.create_index([("snapshot_id", ASCENDING)])

    async def add(self, record: SnapshotRecord) -> None:
        """Store a snapshot: its cohorts outside the transaction (unseen until the snapshot commits)."""
        assert record.snapshot is not None, "a snapshot is published with its cohorts"
        documents = [
            {
                "_id": f"{record.snapshot_id}|{key_id(key)}",
                "snapshot_id": record.snapshot_id,
                **cohort_to_document(c),
            }
            for key, c in record.snapshot.cohorts.items()
        ]
        for start in range(0, len(documents), 500):
            await self._cohorts.insert_many(documents[start : start + 500], ordered=False)
        await self._snapshots.insert_one(_meta(record), session=self._source.session)
        await self._prune(record.model_id)

    async def _prune(self, model_id: str) -> None:
        cursor = self._snapshots.find({"model_id": model_id}, {"_id": 1}, session=self._source.session)
        old = [doc["_id"] async for doc in cursor.sort("taken_at", DESCENDING).skip(KEEP_SNAPSHOTS)]
        if old:
            await self._snapshots.delete_many({"_id": {"$in": old}}, session=self._source.session)
            await self._cohorts.delete_many({"snapshot_id": {"$in": old}})

    async def latest(self, model_id: str) -> SnapshotRecord | None:
        """Return the newest published snapshot of a model (without its cohorts)."""
        doc = await self._snapshots.find_one(
            {"model_id": model_id}, sort=[("taken_at", DESCENDING)], session=self._source.session
        )
        return _record(doc) if doc else None

    async def cohort(self, snapshot_id: str, key: CohortKey) -> CohortStats | None:
        """Return one cohort of a snapshot."""
        doc = await self._cohorts.find_one(
            {"_id": f"{snapshot_id}|{key_id(key)}"}, session=self._source.session
        )
        return cohort_from_document(doc) if doc else None

    async def cohorts(self, snapshot_id: str, keys: Sequence[CohortKey]) -> dict[CohortKey, CohortStats]:
        """Return some cohorts of a snapshot (those that exist)."""
        ids = [f"{snapshot_id}|{key_id(key)}" for key in keys]
        cursor = self._cohorts.find({"_id": {"$in": ids}}, session=self._source.session)
        found = [cohort_from_document(doc) async for doc in cursor]
        return {c.key: c for c in found}
