"""Organisations, their scored diagnostics, and the index of each one's latest diagnostic, in MongoDB."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING

from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.domain.notices import Notice
from services.watch.domain.organisations import WatchedOrganisation
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource


def diagnostic_to_document(diagnostic: WatchedDiagnostic) -> dict[str, Any]:
    """Return the stored form of a diagnostic (levels keep None for N/A or unanswered)."""
    return {
        "organisation_id": diagnostic.organisation_id,
        "account_id": diagnostic.account_id,
        "diagnostic_id": diagnostic.diagnostic_id,
        "model_id": diagnostic.model_id,
        "model_version": diagnostic.model_version,
        "scope": diagnostic.scope,
        "sector": diagnostic.sector,
        "size_band": diagnostic.size_band,
        "region": diagnostic.region,
        "organisation_type": diagnostic.organisation_type,
        "levels": diagnostic.levels,
        "overall": diagnostic.overall,
        "levers": diagnostic.levers,
        "scored_at": diagnostic.scored_at,
    }


def diagnostic_from_document(doc: dict[str, Any]) -> WatchedDiagnostic:
    """Return a diagnostic from its stored form."""
    return WatchedDiagnostic(
        organisation_id=doc["organisation_id"],
        account_id=doc["account_id"],
        diagnostic_id=doc["diagnostic_id"],
        model_id=doc["model_id"],
        model_version=doc["model_version"],
        scope=doc["scope"],
        sector=doc["sector"],
        size_band=doc["size_band"],
        region=doc["region"],
        organisation_type=doc["organisation_type"],
        levels=dict(doc["levels"]),
        overall=doc["overall"],
        levers=dict(doc["levers"]),
        scored_at=doc["scored_at"],
    )


class MongoOrganisationRepository:
    """One document per organisation."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db["organisations"]
        self._source = source

    async def get(self, organisation_id: str) -> WatchedOrganisation | None:
        """Return an organisation."""
        doc = await self._collection.find_one({"_id": organisation_id}, session=self._source.session)
        if doc is None:
            return None
        doc.pop("_id")
        return WatchedOrganisation(organisation_id=organisation_id, **doc)

    async def save(self, organisation: WatchedOrganisation) -> None:
        """Store an organisation's state."""
        doc = {k: v for k, v in vars(organisation).items() if k != "organisation_id"}
        await self._collection.replace_one(
            {"_id": organisation.organisation_id}, doc, upsert=True, session=self._source.session
        )


class MongoDiagnosticRepository:
    """Every scored diagnostic still standing, and `watched`: one document per organisation, its latest."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._scored = db["scored_diagnostics"]
        self._watched = db["watched"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index diagnostics by organisation, and the latest ones by what notices filter on."""
        await self._scored.create_index([("organisation_id", ASCENDING)])
        await self._watched.create_index(
            [("model_id", ASCENDING), ("sector", ASCENDING), ("size_band", ASCENDING)]
        )

    async def add(self, diagnostic: WatchedDiagnostic) -> bool:
        """Store a scored diagnostic; False when it was already there or withdrawn."""
        result = await self._scored.update_one(
            {"_id": diagnostic.diagnostic_id},
            {"$setOnInsert": {**diagnostic_to_document(diagnostic), "withdrawn": False}},
            upsert=True,
            session=self._source.session,
        )
        return result.upserted_id is not None

    async def withdraw(self, diagnostic_id: str) -> str | None:
        """Mark a diagnostic withdrawn (a scored event arriving later is ignored); return its organisation."""
        doc = await self._scored.find_one_and_update(
            {"_id": diagnostic_id},
            {"$set": {"withdrawn": True, "levels": {}}},
            upsert=True,
            session=self._source.session,
        )
        return str(doc["organisation_id"]) if doc and "organisation_id" in doc else None

    async def of_organisation(self, organisation_id: str) -> list[WatchedDiagnostic]:
        """Return an organisation's diagnostics that are not withdrawn."""
        cursor = self._scored.find(
            {"organisation_id": organisation_id, "withdrawn": False}, session=self._source.session
        )
        return [diagnostic_from_document(doc) async for doc in cursor]

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete every diagnostic of an erased organisation, and its index entry."""
        await self._scored.delete_many({"organisation_id": organisation_id}, session=self._source.session)
        await self._watched.delete_one({"_id": organisation_id}, session=self._source.session)

    async def set_latest(self, organisation_id: str, diagnostic: WatchedDiagnostic | None) -> None:
        """Index an organisation's latest diagnostic (None: it has none any more)."""
        if diagnostic is None:
            await self._watched.delete_one({"_id": organisation_id}, session=self._source.session)
            return
        await self._watched.replace_one(
            {"_id": organisation_id},
            diagnostic_to_document(diagnostic),
            upsert=True,
            session=self._source.session,
        )

    async def latest(self, organisation_id: str) -> WatchedDiagnostic | None:
        """Return the indexed latest diagnostic of an organisation."""
        doc = await self._watched.find_one({"_id": organisation_id}, session=self._source.session)
        return diagnostic_from_document(doc) if doc else None

    async def every_latest(self) -> list[WatchedDiagnostic]:
        """Return every organisation's latest diagnostic."""
        cursor = self._watched.find({}, session=self._source.session)
        return [diagnostic_from_document(doc) async for doc in cursor]

    async def candidates(self, notice: Notice) -> list[WatchedDiagnostic]:
        """Return the latest diagnostics the index cannot rule out for a notice (the notice decides)."""
        cursor = self._watched.find(_filter(notice), session=self._source.session)
        return [diagnostic_from_document(doc) async for doc in cursor]


def _filter(notice: Notice) -> dict[str, Any]:
    """Return the index query of a notice's profile filters (rules and versions are the domain's)."""
    scope = notice.scope
    query: dict[str, Any] = {}
    if scope.model_id is not None:
        query["model_id"] = scope.model_id
    for field, values in (
        ("sector", scope.sectors),
        ("size_band", scope.size_bands),
        ("organisation_type", scope.organisation_types),
    ):
        if values:
            query[field] = {"$in": sorted(values)}
    return query
