"""The latest benchmark snapshot's cohorts of each model version, in the scoring database."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReplaceOne

from services.scoring.domain.peers import DIMENSIONS, PeerCohort, PeerFigure, PeerSnapshot
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource

SNAPSHOT, COHORT = "snapshot", "cohort"


def _ref(model_id: str, model_version: str) -> str:
    return f"{model_id}@{model_version}"


def _header_to_document(snapshot: PeerSnapshot) -> dict[str, Any]:
    return {
        "_id": _ref(snapshot.model_id, snapshot.model_version),
        "kind": SNAPSHOT,
        "model_id": snapshot.model_id,
        "model_version": snapshot.model_version,
        "snapshot_id": snapshot.snapshot_id,
        "taken_at": snapshot.taken_at,
    }


def _cohort_to_document(snapshot: PeerSnapshot, cohort: PeerCohort) -> dict[str, Any]:
    key = "|".join(
        value or "*" for value in (cohort.assurance, cohort.sector, cohort.size_band, cohort.region)
    )
    return {
        "_id": f"{_ref(snapshot.model_id, snapshot.model_version)}|{key}",
        "kind": COHORT,
        "model_id": snapshot.model_id,
        "model_version": snapshot.model_version,
        "assurance": cohort.assurance,
        "sector": cohort.sector,
        "size_band": cohort.size_band,
        "region": cohort.region,
        "organisations": cohort.organisations,
        "withheld": cohort.withheld,
        "figures": [
            {"figure": f.figure, "organisations": f.organisations, "quartiles": list(f.quartiles)}
            for f in cohort.figures
        ],
    }


def _cohort_from_document(doc: dict[str, Any]) -> PeerCohort:
    return PeerCohort(
        assurance=doc["assurance"],
        sector=doc["sector"],
        size_band=doc["size_band"],
        region=doc["region"],
        organisations=doc["organisations"],
        withheld=doc["withheld"],
        figures=tuple(
            PeerFigure(f["figure"], f["organisations"], tuple(f["quartiles"])) for f in doc["figures"]
        ),
    )


class MongoPeerCohortRepository:
    """One document per snapshot kept (its id and date), one per cohort of it."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db["peer_cohorts"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index cohorts by model version and by what a scorecard looks them up with."""
        await self._collection.create_index(
            [("model_id", ASCENDING), ("model_version", ASCENDING), ("kind", ASCENDING)]
            + [("assurance", ASCENDING)]
            + [(d, ASCENDING) for d in DIMENSIONS]
        )

    async def taken_at(self, model_id: str, model_version: str) -> datetime | None:
        """Return when the snapshot kept for a model version was taken, or None if there is none."""
        doc = await self._collection.find_one(
            {"_id": _ref(model_id, model_version)}, {"taken_at": 1}, session=self._source.session
        )
        return doc["taken_at"] if doc else None

    async def replace(self, snapshot: PeerSnapshot) -> None:
        """Keep a snapshot's cohorts instead of those kept for its model version (in the transaction)."""
        session = self._source.session
        await self._collection.delete_many(
            {"model_id": snapshot.model_id, "model_version": snapshot.model_version}, session=session
        )
        documents = [_header_to_document(snapshot)]
        documents += [_cohort_to_document(snapshot, c) for c in snapshot.cohorts]
        await self._collection.insert_many(documents, session=session)

    async def extend(self, snapshot: PeerSnapshot) -> None:
        """Add another part's cohorts to the snapshot kept (a part seen again changes nothing)."""
        documents = [_cohort_to_document(snapshot, c) for c in snapshot.cohorts]
        if documents:
            await self._collection.bulk_write(
                [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in documents],
                session=self._source.session,
            )

    async def around(
        self, model_id: str, model_version: str, *, profile: Mapping[str, str]
    ) -> PeerSnapshot | None:
        """Return the kept snapshot with only the cohorts of assurance `all` the profile belongs to."""
        session = self._source.session
        header = await self._collection.find_one({"_id": _ref(model_id, model_version)}, session=session)
        if header is None:
            return None
        query: dict[str, Any] = {
            "model_id": model_id,
            "model_version": model_version,
            "kind": COHORT,
            "assurance": "all",
        }
        query |= {d: {"$in": [None, profile.get(d)]} for d in DIMENSIONS}
        cohorts = [_cohort_from_document(doc) async for doc in self._collection.find(query, session=session)]
        return PeerSnapshot(
            header["snapshot_id"], model_id, model_version, header["taken_at"], tuple(cohorts)
        )
