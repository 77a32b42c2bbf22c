"""Organisations and their scored diagnostics in the benchmark database."""

from __future__ import annotations

from pymongo import ASCENDING

from services.benchmark.adapters.documents import (
    entry_from_document,
    entry_to_document,
    member_from_document,
    member_to_document,
)
from services.benchmark.domain.entries import ScoredEntry
from services.benchmark.domain.members import Member
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource


class MongoMemberRepository:
    """One document per organisation, the diagnostic that counts embedded (snapshots read only this)."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db["members"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index what a snapshot reads: the contributing organisations of a model."""
        await self._collection.create_index([("latest.model_id", ASCENDING), ("contributing", ASCENDING)])

    async def get(self, organisation_id: str) -> Member | None:
        """Return an organisation."""
        doc = await self._collection.find_one({"_id": organisation_id}, session=self._source.session)
        return member_from_document(doc) if doc else None

    async def save(self, member: Member) -> None:
        """Store an organisation's state (created if new)."""
        document = member_to_document(member)
        await self._collection.replace_one(
            {"_id": member.organisation_id}, document, upsert=True, session=self._source.session
        )

    async def forget(self, organisation_id: str) -> None:
        """Delete an organisation."""
        await self._collection.delete_one({"_id": organisation_id}, session=self._source.session)

    async def contributing(self, model_id: str) -> list[Member]:
        """Return the organisations that contribute a diagnostic of this model."""
        cursor = self._collection.find(
            {"latest.model_id": model_id, "contributing": True, "erased": False}, session=self._source.session
        )
        return [member_from_document(doc) async for doc in cursor]


class MongoEntryRepository:
    """Every scored diagnostic still standing; a withdrawn one leaves a marker so it cannot come back."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db["scored_diagnostics"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index diagnostics by organisation."""
        await self._collection.create_index([("organisation_id", ASCENDING), ("submitted_at", ASCENDING)])

    async def add(self, entry: ScoredEntry) -> None:
        """Store a scored diagnostic; nothing if it is already there, or was withdrawn."""
        await self._collection.update_one(
            {"_id": entry.diagnostic_id},
            {"$setOnInsert": {**entry_to_document(entry), "withdrawn": False}},
            upsert=True,
            session=self._source.session,
        )

    async def of_organisation(self, organisation_id: str) -> list[ScoredEntry]:
        """Return an organisation's scored diagnostics (not withdrawn)."""
        cursor = self._collection.find(
            {"organisation_id": organisation_id, "withdrawn": False}, session=self._source.session
        )
        return [entry_from_document(doc) async for doc in cursor]

    async def remove(self, diagnostic_id: str) -> str | None:
        """Mark a diagnostic withdrawn (a scored event arriving later is ignored); return its organisation."""
        doc = await self._collection.find_one_and_update(
            {"_id": diagnostic_id},
            {"$set": {"withdrawn": True, "levels": {}}},
            upsert=True,
            session=self._source.session,
        )
        return str(doc["organisation_id"]) if doc and "organisation_id" in doc else None

    async def forget_organisation(self, organisation_id: str) -> int:
        """Delete an erased organisation's diagnostics."""
        result = await self._collection.delete_many(
            {"organisation_id": organisation_id}, session=self._source.session
        )
        return result.deleted_count
