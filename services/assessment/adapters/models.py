"""Published model versions in the assessment database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.assessment.domain.catalogue import PublishedVersion
from shared.model.schema import MaturityModel, version_key

MODEL_VERSIONS_COLLECTION = "model_versions"
_SUMMARY = {"document": 0}


def _to_document(model: MaturityModel, published_at: datetime) -> dict[str, Any]:
    return {
        "_id": model.ref,
        "model_id": model.model_id,
        "version": model.version,
        "sort_key": list(version_key(model.version)),
        "title": model.title,
        "content_hash": model.content_hash,
        "indicator_count": model.indicator_count,
        "published_at": published_at,
        "document": model.model_dump(mode="json"),
    }


def _from_document(doc: dict[str, Any]) -> PublishedVersion:
    return PublishedVersion(
        model_id=doc["model_id"],
        version=doc["version"],
        title=doc["title"],
        content_hash=doc["content_hash"],
        indicator_count=doc["indicator_count"],
        published_at=doc["published_at"],
    )


class ModelVersionRepository:
    """Store each model version once; versions are immutable."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._collection = collection

    @classmethod
    def in_database(cls, db: AsyncDatabase[dict[str, Any]]) -> ModelVersionRepository:
        """Return the repository over a database's model versions."""
        return cls(db[MODEL_VERSIONS_COLLECTION])

    async def ensure_indexes(self) -> None:
        """Index versions by model, in version order."""
        await self._collection.create_index([("model_id", ASCENDING), ("sort_key", ASCENDING)])

    async def add(self, model: MaturityModel, *, published_at: datetime, session: AsyncClientSession) -> None:
        """Store a new version (a duplicate `model_id@version` raises DuplicateKeyError)."""
        await self._collection.insert_one(_to_document(model, published_at), session=session)

    async def summary(self, model_id: str, version: str) -> PublishedVersion | None:
        """Return a version's metadata, without its document."""
        doc = await self._collection.find_one({"_id": f"{model_id}@{version}"}, _SUMMARY)
        return _from_document(doc) if doc else None

    async def document(self, model_id: str, version: str) -> dict[str, Any] | None:
        """Return a version's full document."""
        doc = await self._collection.find_one({"_id": f"{model_id}@{version}"}, {"document": 1})
        return doc["document"] if doc else None

    async def versions(self, model_id: str | None = None) -> list[PublishedVersion]:
        """List versions (of one model or all), by model then version."""
        query = {"model_id": model_id} if model_id else {}
        cursor = self._collection.find(query, _SUMMARY).sort(
            [("model_id", ASCENDING), ("sort_key", ASCENDING)]
        )
        return [_from_document(doc) async for doc in cursor]
