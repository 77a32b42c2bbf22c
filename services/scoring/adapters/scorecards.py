"""Scored diagnostics in the scoring database."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from services.scoring.domain.scorecards import ScoredDiagnostic
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource

_FIELDS = tuple(f.name for f in fields(ScoredDiagnostic) if f.init and f.name != "diagnostic_id")


def scorecard_document(scored: ScoredDiagnostic) -> dict[str, Any]:
    """Return the stored document of a scored diagnostic."""
    document = {name: getattr(scored, name) for name in _FIELDS}
    document["_id"] = scored.diagnostic_id
    document["not_applicable"] = list(scored.not_applicable)
    document["divergences"] = list(scored.divergences)
    document["criteria_met"] = {code: list(met) for code, met in scored.criteria_met.items()}
    return document


def _from_document(doc: dict[str, Any]) -> ScoredDiagnostic:
    values = {k: v for k, v in doc.items() if k in _FIELDS}
    values["not_applicable"] = tuple(values["not_applicable"])
    values["divergences"] = tuple(values["divergences"])
    values["criteria_met"] = {code: tuple(met) for code, met in (values.get("criteria_met") or {}).items()}
    values.setdefault("assessed_at", values["submitted_at"])
    return ScoredDiagnostic(diagnostic_id=doc["_id"], **values)


class MongoScorecardRepository:
    """Scored diagnostics, one per diagnostic, read within their account."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db["scorecards"]
        # Withdrawn diagnostics stay marked, so a submission retried after its withdrawal is not scored.
        self._withdrawn = db["withdrawn_diagnostics"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index scorecards by organisation and time, for history and progress."""
        await self._collection.create_index(
            [("account_id", ASCENDING), ("organisation_id", ASCENDING), ("assessed_at", ASCENDING)]
        )
        await self._collection.create_index("organisation_id")
        await self._withdrawn.create_index("organisation_id")

    async def add(self, scored: ScoredDiagnostic) -> None:
        """Store a scored diagnostic."""
        await self._collection.insert_one(scorecard_document(scored), session=self._source.session)

    async def get(self, account_id: str, diagnostic_id: str) -> ScoredDiagnostic | None:
        """Return one of the account's scored diagnostics."""
        doc = await self._collection.find_one(
            {"_id": diagnostic_id, "account_id": account_id}, session=self._source.session
        )
        return _from_document(doc) if doc else None

    async def history(self, account_id: str, organisation_id: str) -> list[ScoredDiagnostic]:
        """Return an organisation's scored diagnostics, oldest assessment first."""
        cursor = self._collection.find(
            {"account_id": account_id, "organisation_id": organisation_id}, session=self._source.session
        ).sort("assessed_at", ASCENDING)
        return [_from_document(doc) async for doc in cursor]

    async def previous(self, scored: ScoredDiagnostic) -> ScoredDiagnostic | None:
        """Return the organisation's scored diagnostic assessed just before this one."""
        doc = await self._collection.find_one(
            {
                "account_id": scored.account_id,
                "organisation_id": scored.organisation_id,
                "assessed_at": {"$lt": scored.assessed_at},
            },
            sort=[("assessed_at", -1)],
            session=self._source.session,
        )
        return _from_document(doc) if doc else None

    async def forget_organisation(self, organisation_id: str) -> int:
        """Delete an erased organisation's scored diagnostics; return how many."""
        result = await self._collection.delete_many(
            {"organisation_id": organisation_id}, session=self._source.session
        )
        await self._withdrawn.delete_many({"organisation_id": organisation_id}, session=self._source.session)
        return result.deleted_count

    async def withdraw(self, diagnostic_id: str, organisation_id: str, *, at: datetime) -> bool:
        """Delete a withdrawn diagnostic's scorecard and mark it (a second delivery changes nothing)."""
        await self._withdrawn.update_one(
            {"_id": diagnostic_id},
            {"$setOnInsert": {"organisation_id": organisation_id, "withdrawn_at": at}},
            upsert=True,
            session=self._source.session,
        )
        result = await self._collection.delete_one({"_id": diagnostic_id}, session=self._source.session)
        return result.deleted_count == 1

    async def was_withdrawn(self, diagnostic_id: str) -> bool:
        """Tell whether a diagnostic was withdrawn."""
        found = await self._withdrawn.find_one(
            {"_id": diagnostic_id}, {"_id": 1}, session=self._source.session
        )
        return found is not None
