"""Remembered responses of POSTs sent with an Idempotency-Key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from shared.mongo import Database, ensure_index


@dataclass(frozen=True)
class Remembered:
    """A request seen before under the same key: still running, or its response."""

    request_hash: str
    status: int | None
    body: Any


class MongoIdempotencyRepository:
    """One row per (account, key): claimed before the work, completed with its response."""

    def __init__(self, db: Database) -> None:
        self._collection = db["idempotency_keys"]

    async def ensure_indexes(self, ttl_seconds: int) -> None:
        """Forget keys after their retention."""
        await ensure_index(self._collection, "created_at", expireAfterSeconds=ttl_seconds)

    async def claim(self, scope: str, key: str, request_hash: str, *, at: datetime) -> Remembered | None:
        """Claim a key for a new request; return what is remembered if it was claimed before."""
        try:
            await self._collection.insert_one(
                {
                    "_id": f"{scope}:{key}",
                    "request_hash": request_hash,
                    "status": None,
                    "body": None,
                    "created_at": at,
                }
            )
        except DuplicateKeyError:
            doc = await self._collection.find_one({"_id": f"{scope}:{key}"})
            if doc is None:
                return await self.claim(scope, key, request_hash, at=at)
            return Remembered(doc["request_hash"], doc["status"], doc["body"])
        return None

    async def complete(self, scope: str, key: str, *, status: int, body: Any) -> None:
        """Remember the response of a claimed key."""
        await self._collection.update_one(
            {"_id": f"{scope}:{key}"}, {"$set": {"status": status, "body": body}}
        )

    async def release(self, scope: str, key: str) -> None:
        """Forget a claim whose request failed, so it may be retried."""
        await self._collection.delete_one({"_id": f"{scope}:{key}", "status": None})
