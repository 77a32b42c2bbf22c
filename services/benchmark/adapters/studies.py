"""National studies and their published results in the benchmark database."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from services.benchmark.adapters.documents import (
    cohort_from_document,
    cohort_to_document,
    histograms_to_document,
    study_from_document,
    study_to_document,
)
from services.benchmark.domain.publications import StudyResults
from services.benchmark.domain.studies import Study
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource


class MongoStudyRepository:
    """One document per study (with its consent records), one per published results."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._studies = db["studies"]
        self._results = db["study_results"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index what the schedule looks for: open studies by closing date."""
        await self._studies.create_index([("status", ASCENDING), ("closes_at", ASCENDING)])

    async def add(self, study: Study) -> None:
        """Store a new study."""
        await self._studies.insert_one(study_to_document(study), session=self._source.session)

    async def get(self, study_id: str) -> Study | None:
        """Return a study."""
        doc = await self._studies.find_one({"_id": study_id}, session=self._source.session)
        return study_from_document(doc) if doc else None

    async def save(self, study: Study) -> None:
        """Store a study's new state."""
        await self._studies.replace_one(
            {"_id": study.study_id}, study_to_document(study), session=self._source.session
        )

    async def all(self) -> list[Study]:
        """List the studies, newest first."""
        cursor = self._studies.find({}, session=self._source.session).sort("opens_at", DESCENDING)
        return [study_from_document(doc) async for doc in cursor]

    async def due(self, now: datetime) -> list[Study]:
        """Return the open studies whose closing date has passed."""
        cursor = self._studies.find(
            {"status": "open", "closes_at": {"$lte": now}}, session=self._source.session
        )
        return [study_from_document(doc) async for doc in cursor]

    async def add_results(self, results: StudyResults) -> None:
        """Store a study's published results (once)."""
        await self._results.insert_one(
            {
                "_id": results.study_id,
                "participants": results.participants,
                "published_at": results.published_at,
                "min_cohort_size": results.min_cohort_size,
                "results": cohort_to_document(results.results),
                "results_histograms": histograms_to_document(results.results.histograms),
                "comparison": cohort_to_document(results.comparison) if results.comparison else None,
            },
            session=self._source.session,
        )

    async def results(self, study_id: str) -> StudyResults | None:
        """Return a study's published results."""
        doc = await self._results.find_one({"_id": study_id}, session=self._source.session)
        if doc is None:
            return None
        return StudyResults(
            study_id=doc["_id"],
            participants=doc["participants"],
            results=cohort_from_document(doc["results"], doc.get("results_histograms")),
            comparison=cohort_from_document(doc["comparison"]) if doc.get("comparison") else None,
            published_at=doc["published_at"],
            min_cohort_size=doc["min_cohort_size"],
        )
