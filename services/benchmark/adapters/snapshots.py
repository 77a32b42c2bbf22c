"""Published snapshots in the benchmark database: a document per snapshot, one per cohort."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.benchmark.adapters.documents import (
    cohort_from_document,
    cohort_to_document,
    histograms_to_document,
    key_id,
)
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
        self._histograms = db["snapshot_histograms"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index snapshots by model and date, cohorts by snapshot."""
        await self._snapshots.create_index([("model_id", ASCENDING), ("taken_at", DESCENDING)])
        await self._cohorts.create_index([("snapshot_id", ASCENDING)])
        await self._histograms.create_index([("snapshot_id", ASCENDING)])

    async def add(self, record: SnapshotRecord) -> None:
        """Store a snapshot: its cohorts outside the transaction (unseen until the snapshot commits)."""
        assert record.snapshot is not None, "a snapshot is published with its cohorts"
        cohorts, histograms = [], []
        for key, stats in record.snapshot.cohorts.items():
            ids = {"_id": f"{record.snapshot_id}|{key_id(key)}", "snapshot_id": record.snapshot_id}
            cohorts.append({**ids, **cohort_to_document(stats)})
            if not stats.withheld:
                histograms.append({**ids, **histograms_to_document(stats.histograms)})
        for documents, collection in ((cohorts, self._cohorts), (histograms, self._histograms)):
            for start in range(0, len(documents), 500):
                await collection.insert_many(documents[start : start + 500], ordered=False)
        await self._snapshots.insert_one(_meta(record), session=self._source.session)
        await self._prune(record.model_id)

    async def _prune(self, model_id: str) -> None:
        cursor = self._snapshots.find({"model_id": model_id}, {"_id": 1}, session=self._source.session)
        old = [doc["_id"] async for doc in cursor.sort("taken_at", DESCENDING).skip(KEEP_SNAPSHOTS)]
        if old:
            await self._snapshots.delete_many({"_id": {"$in": old}}, session=self._source.session)
            await self._cohorts.delete_many({"snapshot_id": {"$in": old}})
            await self._histograms.delete_many({"snapshot_id": {"$in": old}})

    async def latest(self, model_id: str) -> SnapshotRecord | None:
        """Return the newest published snapshot of a model (without its cohorts)."""
        doc = await self._snapshots.find_one(
            {"model_id": model_id}, sort=[("taken_at", DESCENDING)], session=self._source.session
        )
        return _record(doc) if doc else None

    async def cohort(
        self, snapshot_id: str, key: CohortKey, *, histograms: bool = False
    ) -> CohortStats | None:
        """Return one cohort of a snapshot (with its histograms, for percentile ranks, if asked)."""
        found = await self.cohorts(snapshot_id, [key], histograms=histograms)
        return found.get(key)

    async def cohorts(
        self, snapshot_id: str, keys: Sequence[CohortKey], *, histograms: bool = False
    ) -> dict[CohortKey, CohortStats]:
        """Return some cohorts of a snapshot (those that exist), with their histograms if asked."""
        ids = [f"{snapshot_id}|{key_id(key)}" for key in keys]
        session = self._source.session
        docs = [doc async for doc in self._cohorts.find({"_id": {"$in": ids}}, session=session)]
        counts: dict[str, dict[str, Any]] = {}
        if histograms and docs:
            cursor = self._histograms.find({"_id": {"$in": [d["_id"] for d in docs]}}, session=session)
            counts = {doc["_id"]: doc async for doc in cursor}
        found = [cohort_from_document(doc, _blocks(counts.get(doc["_id"]))) for doc in docs]
        return {c.key: c for c in found}


def _blocks(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if doc is None else {k: v for k, v in doc.items() if k not in ("_id", "snapshot_id")}
