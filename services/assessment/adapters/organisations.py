"""Organisations in the assessment database, always read within their account."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING

from services.assessment.domain.organisations import Organisation
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource

_FIELDS = (
    "account_id",
    "name",
    "sector",
    "headcount",
    "region",
    "organisation_type",
    "siren",
    "created_at",
    "updated_at",
)


def _to_document(org: Organisation) -> dict[str, Any]:
    return {"_id": org.organisation_id, **{f: getattr(org, f) for f in _FIELDS}}


def _from_document(doc: dict[str, Any]) -> Organisation:
    return Organisation(
        organisation_id=doc["_id"],
        account_id=doc["account_id"],
        name=doc["name"],
        sector=doc["sector"],
        headcount=doc["headcount"],
        region=doc["region"],
        organisation_type=doc["organisation_type"],
        siren=doc.get("siren"),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )


class MongoOrganisationRepository:
    """Store organisations; every read names the account, so tenants never see each other."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db["organisations"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index organisations by account for listing."""
        await self._collection.create_index([("account_id", ASCENDING), ("_id", ASCENDING)])

    async def add(self, org: Organisation) -> None:
        """Store a new organisation."""
        await self._collection.insert_one(_to_document(org), session=self._source.session)

    async def get(self, account_id: str, organisation_id: str) -> Organisation | None:
        """Return one of the account's organisations."""
        doc = await self._collection.find_one(
            {"_id": organisation_id, "account_id": account_id}, session=self._source.session
        )
        return _from_document(doc) if doc else None

    async def save(self, org: Organisation) -> None:
        """Store an organisation's new state."""
        await self._collection.replace_one(
            {"_id": org.organisation_id, "account_id": org.account_id},
            _to_document(org),
            session=self._source.session,
        )

    async def page(self, account_id: str, *, after: str | None, limit: int) -> list[Organisation]:
        """Return up to `limit` organisations of the account after a cursor, in id order."""
        query: dict[str, Any] = {"account_id": account_id}
        if after:
            query["_id"] = {"$gt": after}
        cursor = (
            self._collection.find(query, session=self._source.session).sort("_id", ASCENDING).limit(limit)
        )
        return [_from_document(doc) async for doc in cursor]

    async def delete(self, account_id: str, organisation_id: str) -> bool:
        """Delete an organisation; False if the account has no such organisation."""
        result = await self._collection.delete_one(
            {"_id": organisation_id, "account_id": account_id}, session=self._source.session
        )
        return result.deleted_count == 1
