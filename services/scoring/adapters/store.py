"""The scoring database: its own copy of the model versions, and the scorecards."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.scoring.domain.records import ScorecardRecord
from shared.model.schema import MaturityModel

Database = AsyncDatabase[dict[str, Any]]


class ModelStore:
    """Model versions learnt from `model.published` events, parsed once per process."""

    def __init__(self, db: Database, cache: dict[str, MaturityModel]) -> None:
        self._collection = db["models"]
        self._cache = cache

    async def keep(self, model: MaturityModel, *, session: AsyncClientSession) -> None:
        """Store a version (a second delivery changes nothing)."""
        await self._collection.update_one(
            {"_id": model.ref},
            {"$setOnInsert": {"content_hash": model.content_hash, "document": model.model_dump(mode="json")}},
            upsert=True,
            session=session,
        )

    async def get(self, model_id: str, version: str) -> MaturityModel | None:
        """Return a version, or None if no `model.published` event told us about it."""
        ref = f"{model_id}@{version}"
        if ref in self._cache:
            return self._cache[ref]
        doc = await self._collection.find_one({"_id": ref})
        if doc is None:
            return None
        model = MaturityModel.model_validate(doc["document"])
        self._cache[ref] = model
        return model


def _to_document(record: ScorecardRecord) -> dict[str, Any]:
    document = asdict(record)
    document["_id"] = document.pop("diagnostic_id")
    document["not_applicable"] = list(record.not_applicable)
    document["divergences"] = list(record.divergences)
    return document


def _from_document(doc: dict[str, Any]) -> ScorecardRecord:
    fields = {k: v for k, v in doc.items() if k != "_id"}
    fields["not_applicable"] = tuple(fields["not_applicable"])
    fields["divergences"] = tuple(fields["divergences"])
    fields.setdefault("assessed_at", fields["submitted_at"])
    return ScorecardRecord(diagnostic_id=doc["_id"], **fields)


class ScorecardStore:
    """Scorecards, one per diagnostic, read within their account."""

    def __init__(self, db: Database) -> None:
        self._collection = db["scorecards"]

    async def ensure_indexes(self) -> None:
        """Index scorecards by organisation and time, for history and progress."""
        await self._collection.create_index(
            [("account_id", ASCENDING), ("organisation_id", ASCENDING), ("assessed_at", ASCENDING)]
        )

    async def add(self, record: ScorecardRecord, *, session: AsyncClientSession) -> None:
        """Store a scorecard."""
        await self._collection.insert_one(_to_document(record), session=session)

    async def get(self, account_id: str, diagnostic_id: str) -> ScorecardRecord | None:
        """Return one of the account's scorecards."""
        doc = await self._collection.find_one({"_id": diagnostic_id, "account_id": account_id})
        return _from_document(doc) if doc else None

    async def history(self, account_id: str, organisation_id: str) -> list[ScorecardRecord]:
        """Return an organisation's scorecards, oldest first."""
        cursor = self._collection.find({"account_id": account_id, "organisation_id": organisation_id}).sort(
            "assessed_at", ASCENDING
        )
        return [_from_document(doc) async for doc in cursor]

    async def previous(
        self, record: ScorecardRecord, *, session: AsyncClientSession | None = None
    ) -> ScorecardRecord | None:
        """Return the organisation's scorecard submitted just before this one."""
        doc = await self._collection.find_one(
            {
                "account_id": record.account_id,
                "organisation_id": record.organisation_id,
                "assessed_at": {"$lt": record.assessed_at},
            },
            sort=[("assessed_at", -1)],
            session=session,
        )
        return _from_document(doc) if doc else None

    async def forget_organisation(self, organisation_id: str, *, session: AsyncClientSession) -> int:
        """Delete an erased organisation's scorecards."""
        result = await self._collection.delete_many({"organisation_id": organisation_id}, session=session)
        return result.deleted_count
