"""Subscribers' inbox items, preferences and webhook endpoints, and the deliveries to them, in MongoDB."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.watch.domain.deliveries import Attempt, Delivery, DeliveryStatus, Message, Outcome
from services.watch.domain.emails import OutgoingEmail
from services.watch.domain.endpoints import Endpoint, EndpointSecret, EndpointStatus
from services.watch.domain.inbox import InboxItem
from services.watch.domain.mailings import StagedEmail
from services.watch.domain.preferences import Preferences
from shared.events.contracts.watch import DisabledReason
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource


def _fields(item: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return a dataclass's init fields (an aggregate's recorded events are not state)."""
    return {f.name: getattr(item, f.name) for f in dataclasses.fields(item) if f.init and f.name not in skip}


class MongoInboxRepository:
    """One document per inbox item; its id says which account, organisation and notice."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db["inbox"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index items by account and time, and by organisation (erasure)."""
        await self._collection.create_index([("account_id", ASCENDING), ("created_at", DESCENDING)])
        await self._collection.create_index([("organisation_id", ASCENDING)])

    async def get(self, item_id: str) -> InboxItem | None:
        """Return an item."""
        doc = await self._collection.find_one({"_id": item_id}, session=self._source.session)
        return _inbox_item(doc) if doc else None

    async def add(self, item: InboxItem) -> bool:
        """Store a new item; False when its id exists already (a repeated effect)."""
        result = await self._collection.update_one(
            {"_id": item.id},
            {"$setOnInsert": _fields(item, skip=("id",))},
            upsert=True,
            session=self._source.session,
        )
        return result.upserted_id is not None

    async def save(self, item: InboxItem) -> None:
        """Store an item's new state."""
        await self._collection.replace_one(
            {"_id": item.id}, _fields(item, skip=("id",)), upsert=True, session=self._source.session
        )

    async def of_account(self, account_id: str, *, archived: bool = False) -> list[InboxItem]:
        """Return an account's items, newest first."""
        query = {"account_id": account_id, "archived_at": {"$ne": None} if archived else None}
        cursor = self._collection.find(query, session=self._source.session).sort("created_at", DESCENDING)
        return [_inbox_item(doc) async for doc in cursor]

    async def created_between(self, account_id: str, start: datetime, end: datetime) -> list[InboxItem]:
        """Return an account's items created in [start, end)."""
        query = {"account_id": account_id, "created_at": {"$gte": start, "$lt": end}}
        cursor = self._collection.find(query, session=self._source.session).sort("created_at", ASCENDING)
        return [_inbox_item(doc) async for doc in cursor]

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete an erased organisation's items."""
        await self._collection.delete_many({"organisation_id": organisation_id}, session=self._source.session)


def _inbox_item(doc: dict[str, Any]) -> InboxItem:
    return InboxItem(id=doc.pop("_id"), **doc)


class MongoPreferenceRepository:
    """One document per subscriber: its e-mail address and its cadences per channel and kind."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db["subscribers"]
        self._source = source

    async def get(self, account_id: str) -> Preferences | None:
        """Return an account's preferences, if set."""
        doc = await self._collection.find_one({"_id": account_id}, session=self._source.session)
        if doc is None:
            return None
        return Preferences.from_table(account_id, doc["table"], email=doc.get("email"))

    async def save(self, account_id: str, preferences: Preferences) -> None:
        """Store an account's preferences."""
        doc = {"table": preferences.stored(), "email": preferences.email}
        await self._collection.replace_one(
            {"_id": account_id}, doc, upsert=True, session=self._source.session
        )

    async def subscribers(self) -> list[str]:
        """Return the accounts with preferences."""
        cursor = self._collection.find({}, {"_id": 1}, session=self._source.session)
        return [str(doc["_id"]) async for doc in cursor]


class MongoEndpointRepository:
    """One document per webhook endpoint, its secrets with it (never logged, never listed)."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db["endpoints"]
        self._source = source

    async def get(self, endpoint_id: str) -> Endpoint | None:
        """Return an endpoint."""
        doc = await self._collection.find_one({"_id": endpoint_id}, session=self._source.session)
        return _endpoint(doc) if doc else None

    async def save(self, endpoint: Endpoint) -> None:
        """Store an endpoint's state (created if new)."""
        doc = _fields(endpoint, skip=("id",))
        doc["secrets"] = [dataclasses.asdict(secret) for secret in endpoint.secrets]
        doc["event_types"] = list(endpoint.event_types)
        await self._collection.replace_one(
            {"_id": endpoint.id}, doc, upsert=True, session=self._source.session
        )

    async def delete(self, endpoint_id: str) -> None:
        """Delete an endpoint."""
        await self._collection.delete_one({"_id": endpoint_id}, session=self._source.session)

    async def of_account(self, account_id: str) -> list[Endpoint]:
        """Return an account's endpoints."""
        cursor = self._collection.find({"account_id": account_id}, session=self._source.session)
        return [_endpoint(doc) async for doc in cursor]


def _endpoint(doc: dict[str, Any]) -> Endpoint:
    return Endpoint(
        id=doc.pop("_id"),
        **{
            **doc,
            "secrets": [EndpointSecret(**secret) for secret in doc["secrets"]],
            "event_types": tuple(doc["event_types"]),
            "status": EndpointStatus(doc["status"]),
            "disabled_reason": DisabledReason(doc["disabled_reason"]) if doc["disabled_reason"] else None,
        },
    )


class MongoDeliveryRepository:
    """Webhook messages (`messages`) and one delivery per message and endpoint with its attempts."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._messages = db["messages"]
        self._deliveries = db["deliveries"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index what the delivery worker and the delivery log read."""
        await self._deliveries.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self._deliveries.create_index([("endpoint_id", ASCENDING), ("created_at", DESCENDING)])

    async def add(self, delivery: Delivery, message: Message, *, organisation_id: str | None = None) -> bool:
        """Store a new message (about an organisation, or none) and its delivery; False when it exists."""
        session = self._source.session
        document = {**_fields(message, skip=("id",)), "organisation_id": organisation_id}
        await self._messages.update_one(
            {"_id": message.id}, {"$setOnInsert": document}, upsert=True, session=session
        )
        result = await self._deliveries.update_one(
            {"_id": delivery_id(delivery)},
            {"$setOnInsert": {**_delivery_document(delivery), "created_at": message.created_at}},
            upsert=True,
            session=session,
        )
        return result.upserted_id is not None

    async def message(self, message_id: str) -> Message | None:
        """Return a message."""
        doc = await self._messages.find_one({"_id": message_id}, session=self._source.session)
        if doc is None:
            return None
        doc.pop("organisation_id", None)
        return Message(id=doc.pop("_id"), **doc)

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete the messages about an erased organisation, and their deliveries."""
        session = self._source.session
        about = self._messages.find({"organisation_id": organisation_id}, {"_id": 1}, session=session)
        ids = [doc["_id"] async for doc in about]
        if ids:
            await self._deliveries.delete_many({"message_id": {"$in": ids}}, session=session)
            await self._messages.delete_many({"_id": {"$in": ids}}, session=session)

    async def get(self, message_id: str, endpoint_id: str) -> Delivery | None:
        """Return a delivery."""
        doc = await self._deliveries.find_one(
            {"_id": _delivery_key(message_id, endpoint_id)}, session=self._source.session
        )
        return _delivery(doc) if doc else None

    async def save(self, delivery: Delivery) -> None:
        """Store a delivery's state."""
        await self._deliveries.update_one(
            {"_id": delivery_id(delivery)},
            {"$set": _delivery_document(delivery)},
            session=self._source.session,
        )

    async def due(self, at: datetime, *, limit: int) -> Sequence[Delivery]:
        """Return pending deliveries whose next attempt is due, oldest first."""
        query = {"status": DeliveryStatus.PENDING.value, "next_attempt_at": {"$lte": at}}
        cursor = self._deliveries.find(query, session=self._source.session).sort("next_attempt_at", ASCENDING)
        return [_delivery(doc) async for doc in cursor.limit(limit)]

    async def of_endpoint(self, endpoint_id: str, *, since: datetime | None = None) -> list[Delivery]:
        """Return an endpoint's deliveries, newest first."""
        query: dict[str, Any] = {"endpoint_id": endpoint_id}
        if since is not None:
            query["created_at"] = {"$gte": since}
        cursor = self._deliveries.find(query, session=self._source.session).sort("created_at", DESCENDING)
        return [_delivery(doc) async for doc in cursor]


def delivery_id(delivery: Delivery) -> str:
    """Return a delivery's id: one per message and endpoint."""
    return _delivery_key(delivery.message_id, delivery.endpoint_id)


def _delivery_key(message_id: str, endpoint_id: str) -> str:
    return f"{message_id}:{endpoint_id}"


def _delivery_document(delivery: Delivery) -> dict[str, Any]:
    doc = _fields(delivery)
    doc["status"] = delivery.status.value
    doc["attempts"] = [{**dataclasses.asdict(a), "outcome": a.outcome.value} for a in delivery.attempts]
    return doc


def _delivery(doc: dict[str, Any]) -> Delivery:
    doc.pop("_id")
    doc.pop("created_at", None)
    attempts = [Attempt(**{**a, "outcome": Outcome(a["outcome"])}) for a in doc.pop("attempts")]
    return Delivery(**{**doc, "status": DeliveryStatus(doc["status"]), "attempts": attempts})


class MongoMailRepository:
    """Staged e-mails (`emails`), one per idempotency key, and reminders sent (`reminders`)."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._emails = db["emails"]
        self._reminders = db["reminders"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index what the sender reads: pending e-mails by their next attempt."""
        await self._emails.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])

    async def stage(self, email: StagedEmail) -> bool:
        """Stage an e-mail; False when its key was staged before (a digest or alert is sent once)."""
        result = await self._emails.update_one(
            {"_id": email.key},
            {"$setOnInsert": _email_document(email)},
            upsert=True,
            session=self._source.session,
        )
        return result.upserted_id is not None

    async def get(self, key: str) -> StagedEmail | None:
        """Return a staged e-mail."""
        doc = await self._emails.find_one({"_id": key}, session=self._source.session)
        return _staged(doc) if doc else None

    async def save(self, email: StagedEmail) -> None:
        """Store an e-mail's sending state."""
        await self._emails.update_one(
            {"_id": email.key}, {"$set": _email_document(email)}, session=self._source.session
        )

    async def due(self, at: datetime, *, limit: int) -> list[StagedEmail]:
        """Return pending e-mails whose next attempt is due, oldest first."""
        query = {"status": "pending", "next_attempt_at": {"$lte": at}}
        cursor = self._emails.find(query, session=self._source.session).sort("next_attempt_at", ASCENDING)
        return [_staged(doc) async for doc in cursor.limit(limit)]

    async def last_reminder(self, organisation_id: str) -> datetime | None:
        """Return when the organisation was last reminded to diagnose again."""
        doc = await self._reminders.find_one({"_id": organisation_id}, session=self._source.session)
        return doc["at"] if doc else None

    async def reminded(self, organisation_id: str, at: datetime) -> None:
        """Remember a reminder."""
        await self._reminders.replace_one(
            {"_id": organisation_id}, {"at": at}, upsert=True, session=self._source.session
        )

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete the e-mails about an erased organisation, and its reminders."""
        await self._emails.delete_many({"organisation_id": organisation_id}, session=self._source.session)
        await self._reminders.delete_one({"_id": organisation_id}, session=self._source.session)


def _email_document(email: StagedEmail) -> dict[str, Any]:
    doc = _fields(email, skip=("key", "message"))
    doc["message"] = {**_fields(email.message), "headers": dict(email.message.headers)}
    return doc


def _staged(doc: dict[str, Any]) -> StagedEmail:
    doc.pop("_id")
    message = OutgoingEmail(**doc.pop("message"))
    return StagedEmail(key=message.key, message=message, **doc)
