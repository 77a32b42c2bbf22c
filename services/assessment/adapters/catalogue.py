"""Published model versions in the assessment database."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from services.assessment.domain.catalogue import Publication, PublishedVersion
from shared.model.schema import version_key
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource

MODEL_VERSIONS_COLLECTION = "model_versions"
_SUMMARY = {"document": 0}


def _to_document(publication: Publication) -> dict[str, Any]:
    model = publication.model
    return {
        "_id": model.ref,
        "model_id": model.model_id,
        "version": model.version,
        "sort_key": list(version_key(model.version)),
        "title": model.title,
        "content_hash": model.content_hash,
        "indicator_count": model.indicator_count,
        "published_at": publication.published_at,
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


class MongoModelVersionRepository:
    """Store each model version once; versions are immutable."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db[MODEL_VERSIONS_COLLECTION]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index versions by model, in version order."""
        await self._collection.create_index([("model_id", ASCENDING), ("sort_key", ASCENDING)])

    async def add(self, publication: Publication) -> bool:
        """Store a new version; False if `model_id@version` is already there."""
        try:
            await self._collection.insert_one(_to_document(publication), session=self._source.session)
        except DuplicateKeyError:
            return False
        return True

    async def summary(self, model_id: str, version: str) -> PublishedVersion | None:
        """Return a version's metadata, without its document."""
        doc = await self._collection.find_one(
            {"_id": f"{model_id}@{version}"}, _SUMMARY, session=self._source.session
        )
        return _from_document(doc) if doc else None

    async def document(self, model_id: str, version: str) -> dict[str, Any] | None:
        """Return a version's full document."""
        doc = await self._collection.find_one(
            {"_id": f"{model_id}@{version}"}, {"document": 1}, session=self._source.session
        )
        return doc["document"] if doc else None

    async def versions(self, model_id: str | None = None) -> list[PublishedVersion]:
        """List versions (of one model or all), by model then version."""
        query = {"model_id": model_id} if model_id else {}
        cursor = self._collection.find(query, _SUMMARY, session=self._source.session).sort(
            [("model_id", ASCENDING), ("sort_key", ASCENDING)]
        )
        return [_from_document(doc) async for doc in cursor]
