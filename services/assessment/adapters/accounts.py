"""Accounts and API keys in the assessment database."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING

from services.assessment.domain.accounts import Account, ApiKey
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource


def _account_to_document(account: Account) -> dict[str, Any]:
    return {
        "_id": account.account_id,
        "name": account.name,
        "plan": account.plan,
        "created_at": account.created_at,
    }


def _account_from_document(doc: dict[str, Any]) -> Account:
    return Account(account_id=doc["_id"], name=doc["name"], plan=doc["plan"], created_at=doc["created_at"])


def _key_to_document(key: ApiKey) -> dict[str, Any]:
    return {
        "_id": key.client_id,
        "account_id": key.account_id,
        "name": key.name,
        "scopes": list(key.scopes),
        "secret_hash": key.secret_hash,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }


def _key_from_document(doc: dict[str, Any]) -> ApiKey:
    return ApiKey(
        client_id=doc["_id"],
        account_id=doc["account_id"],
        name=doc["name"],
        scopes=tuple(doc["scopes"]),
        secret_hash=doc["secret_hash"],
        created_at=doc["created_at"],
        revoked_at=doc.get("revoked_at"),
    )


class MongoAccountRepository:
    """Store accounts and their API keys."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._accounts = db["accounts"]
        self._keys = db["api_keys"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index keys by account."""
        await self._keys.create_index([("account_id", ASCENDING), ("created_at", ASCENDING)])

    async def add(self, account: Account) -> None:
        """Store a new account."""
        await self._accounts.insert_one(_account_to_document(account), session=self._source.session)

    async def get(self, account_id: str) -> Account | None:
        """Return an account."""
        doc = await self._accounts.find_one({"_id": account_id}, session=self._source.session)
        return _account_from_document(doc) if doc else None

    async def save(self, account: Account) -> None:
        """Store an account's new plan."""
        await self._accounts.update_one(
            {"_id": account.account_id},
            # The revision makes every save a real write, so two plan changes racing always conflict.
            {"$set": {"plan": account.plan}, "$inc": {"revision": 1}},
            session=self._source.session,
        )

    async def add_key(self, key: ApiKey) -> None:
        """Store a new API key."""
        await self._keys.insert_one(_key_to_document(key), session=self._source.session)

    async def key(self, client_id: str) -> ApiKey | None:
        """Return an API key by client id."""
        doc = await self._keys.find_one({"_id": client_id}, session=self._source.session)
        return _key_from_document(doc) if doc else None

    async def keys(self, account_id: str) -> list[ApiKey]:
        """List an account's keys, oldest first."""
        cursor = self._keys.find({"account_id": account_id}, session=self._source.session)
        return [_key_from_document(doc) async for doc in cursor.sort("created_at", ASCENDING)]

    async def save_key(self, key: ApiKey) -> bool:
        """Store a key's revocation; False if it was revoked meanwhile."""
        result = await self._keys.update_one(
            {"_id": key.client_id, "account_id": key.account_id, "revoked_at": None},
            {"$set": {"revoked_at": key.revoked_at}},
            session=self._source.session,
        )
        return result.modified_count == 1
