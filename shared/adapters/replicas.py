"""MongoDB and in-memory copies of model versions, revoked keys and revoked respondents."""

from __future__ import annotations

import re
from datetime import datetime

from shared.model.schema import MaturityModel
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource
from shared.replicas import newest

MODELS_COLLECTION = "models"
REVOKED_KEYS_COLLECTION = "revoked_keys"
REVOKED_RESPONDENTS_COLLECTION = "revoked_respondents"

ModelCache = dict[str, MaturityModel]


class MongoModelVersions:
    """Model versions learnt from `model.published` events, parsed once per process."""

    def __init__(self, db: Database, source: SessionSource, cache: ModelCache) -> None:
        self._collection = db[MODELS_COLLECTION]
        self._source = source
        self._cache = cache

    async def keep(self, model: MaturityModel) -> None:
        """Store a version (a second delivery changes nothing)."""
        await self._collection.update_one(
            {"_id": model.ref},
            {"$setOnInsert": {"content_hash": model.content_hash, "document": model.model_dump(mode="json")}},
            upsert=True,
            session=self._source.session,
        )

    async def get(self, model_id: str, version: str) -> MaturityModel | None:
        """Return a version, or None if no `model.published` event told us about it."""
        ref = f"{model_id}@{version}"
        if ref in self._cache:
            return self._cache[ref]
        doc = await self._collection.find_one({"_id": ref}, session=self._source.session)
        if doc is None:
            return None
        model = MaturityModel.model_validate(doc["document"])
        self._cache[ref] = model
        return model

    async def latest(self, model_id: str) -> MaturityModel | None:
        """Return the highest release of a model (a pre-release only when there is no release)."""
        return newest(await self.versions(model_id))

    async def versions(self, model_id: str) -> list[MaturityModel]:
        """Return every known version of a model, in no particular order."""
        query = {"_id": {"$regex": f"^{re.escape(model_id)}@"}}
        refs = [
            doc["_id"] async for doc in self._collection.find(query, {"_id": 1}, session=self._source.session)
        ]
        models = [await self.get(*ref.split("@", 1)) for ref in refs]
        return [m for m in models if m is not None]


class MemoryModelVersions:
    """Model versions kept in memory, for unit tests."""

    def __init__(self) -> None:
        self.models: dict[str, MaturityModel] = {}

    async def keep(self, model: MaturityModel) -> None:
        """Store a version (a second delivery changes nothing)."""
        self.models.setdefault(model.ref, model)

    async def get(self, model_id: str, version: str) -> MaturityModel | None:
        """Return a version, if kept."""
        return self.models.get(f"{model_id}@{version}")

    async def latest(self, model_id: str) -> MaturityModel | None:
        """Return the highest release of a model."""
        return newest(await self.versions(model_id))

    async def versions(self, model_id: str) -> list[MaturityModel]:
        """Return every kept version of a model."""
        return [m for m in self.models.values() if m.model_id == model_id]


class MongoRevokedKeys:
    """API keys and respondents revoked on assessment, as this service learnt them."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db[REVOKED_KEYS_COLLECTION]
        self._respondents = db[REVOKED_RESPONDENTS_COLLECTION]
        self._source = source

    async def revoke(self, client_id: str, *, at: datetime) -> None:
        """Remember a revoked key."""
        await self._collection.update_one(
            {"_id": client_id},
            {"$setOnInsert": {"revoked_at": at}},
            upsert=True,
            session=self._source.session,
        )

    async def is_revoked(self, client_id: str) -> bool:
        """Tell whether a key was revoked."""
        return (
            await self._collection.find_one({"_id": client_id}, {"_id": 1}, session=self._source.session)
            is not None
        )

    async def revoke_respondent(self, respondent_id: str, *, at: datetime) -> None:
        """Remember a revoked respondent (a second delivery changes nothing)."""
        await self._respondents.update_one(
            {"_id": respondent_id},
            {"$setOnInsert": {"revoked_at": at}},
            upsert=True,
            session=self._source.session,
        )

    async def is_respondent_revoked(self, respondent_id: str) -> bool:
        """Tell whether a respondent was revoked."""
        found = await self._respondents.find_one(
            {"_id": respondent_id}, {"_id": 1}, session=self._source.session
        )
        return found is not None


class MemoryRevokedKeys:
    """Revoked keys and respondents kept in memory, for unit tests."""

    def __init__(self) -> None:
        self.revoked: dict[str, datetime] = {}
        self.respondents: dict[str, datetime] = {}

    async def revoke(self, client_id: str, *, at: datetime) -> None:
        """Remember a revoked key."""
        self.revoked.setdefault(client_id, at)

    async def is_revoked(self, client_id: str) -> bool:
        """Tell whether a key was revoked."""
        return client_id in self.revoked

    async def revoke_respondent(self, respondent_id: str, *, at: datetime) -> None:
        """Remember a revoked respondent."""
        self.respondents.setdefault(respondent_id, at)

    async def is_respondent_revoked(self, respondent_id: str) -> bool:
        """Tell whether a respondent was revoked."""
        return respondent_id in self.respondents
