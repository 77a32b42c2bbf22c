"""Partners, grants and the partners' feeds in the watch database."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument

from services.watch.domain.partners import FeedEvent, KnownGrant, KnownPartner
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource


def _partner(doc: dict[str, Any]) -> KnownPartner:
    return KnownPartner(
        partner_id=doc["_id"],
        name=doc["name"],
        event_kinds=tuple(doc["event_kinds"]),
        active=doc["active"],
        changed_at=doc["changed_at"],
    )


def _grant(doc: dict[str, Any]) -> KnownGrant:
    return KnownGrant(
        grant_id=doc["_id"],
        partner_id=doc["partner_id"],
        organisation_id=doc["organisation_id"],
        event_kinds=tuple(doc["event_kinds"]),
        given_at=doc["given_at"],
        expires_at=doc.get("expires_at"),
        revoked_at=doc.get("revoked_at"),
        backfill=doc.get("backfill", False),
    )


def _feed_event(doc: dict[str, Any]) -> FeedEvent:
    return FeedEvent(
        event_id=doc["_id"],
        partner_id=doc["partner_id"],
        kind=doc["kind"],
        organisation_id=doc.get("organisation_id"),
        time=doc["time"],
        data=doc["data"],
        sequence=doc["sequence"],
    )


class MongoPartnerFeedRepository:
    """Partners and grants (replicas of assessment's), feeds numbered per partner, latest scorecards."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._partners = db["partners"]
        self._grants = db["partner_grants"]
        self._feed = db["partner_feed"]
        self._counters = db["partner_feed_counters"]
        self._scored = db["partner_scored"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index grants by organisation and kind, feeds by partner and sequence (one event per number)."""
        await self._grants.create_index([("organisation_id", ASCENDING)])
        await self._grants.create_index([("event_kinds", ASCENDING)])
        await self._feed.create_index([("partner_id", ASCENDING), ("sequence", ASCENDING)], unique=True)
        await self._feed.create_index([("organisation_id", ASCENDING)])

    async def partner(self, partner_id: str) -> KnownPartner | None:
        """Return a partner."""
        doc = await self._partners.find_one({"_id": partner_id}, session=self._source.session)
        return _partner(doc) if doc else None

    async def save_partner(self, partner: KnownPartner) -> None:
        """Store a partner's state."""
        await self._partners.replace_one(
            {"_id": partner.partner_id},
            {
                "name": partner.name,
                "event_kinds": list(partner.event_kinds),
                "active": partner.active,
                "changed_at": partner.changed_at,
            },
            upsert=True,
            session=self._source.session,
        )

    async def every_partner(self) -> list[KnownPartner]:
        """Return every known partner."""
        return [_partner(doc) async for doc in self._partners.find({}, session=self._source.session)]

    async def grant(self, grant_id: str) -> KnownGrant | None:
        """Return a grant."""
        doc = await self._grants.find_one({"_id": grant_id}, session=self._source.session)
        return _grant(doc) if doc else None

    async def save_grant(self, grant: KnownGrant) -> None:
        """Store a grant's state."""
        await self._grants.replace_one(
            {"_id": grant.grant_id},
            {
                "partner_id": grant.partner_id,
                "organisation_id": grant.organisation_id,
                "event_kinds": list(grant.event_kinds),
                "given_at": grant.given_at,
                "expires_at": grant.expires_at,
                "revoked_at": grant.revoked_at,
                "backfill": grant.backfill,
            },
            upsert=True,
            session=self._source.session,
        )

    async def grants_of(self, organisation_id: str) -> list[KnownGrant]:
        """Return an organisation's grants, ended ones too."""
        cursor = self._grants.find({"organisation_id": organisation_id}, session=self._source.session)
        return [_grant(doc) async for doc in cursor]

    async def grants_with_kind(self, kind: str) -> list[KnownGrant]:
        """Return the grants naming a kind, ended ones too."""
        cursor = self._grants.find({"event_kinds": kind}, session=self._source.session)
        return [_grant(doc) async for doc in cursor]

    async def append(self, event: FeedEvent) -> FeedEvent | None:
        """Put an event at the end of its partner's feed; None if it is there already.

        The partner's counter is incremented in the caller's transaction: two transactions
        appending to one feed write the same counter document, so one waits for or loses to the
        other, and sequence numbers follow the order of commits (a reader never skips one).
        """
        session = self._source.session
        if await self._feed.find_one({"_id": event.event_id}, {"_id": 1}, session=session) is not None:
            return None
        counter = await self._counters.find_one_and_update(
            {"_id": event.partner_id},
            {"$inc": {"sequence": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        assert counter is not None  # an upsert returning the document after it
        stored = dataclasses.replace(event, sequence=int(counter["sequence"]))
        await self._feed.insert_one(
            {
                "_id": stored.event_id,
                "partner_id": stored.partner_id,
                "sequence": stored.sequence,
                "kind": stored.kind,
                "organisation_id": stored.organisation_id,
                "time": stored.time,
                "data": stored.data,
            },
            session=session,
        )
        return stored

    async def page(self, partner_id: str, *, after: int, limit: int) -> list[FeedEvent]:
        """Return up to `limit` events of a partner's feed after a sequence number, in order."""
        cursor = (
            self._feed.find(
                {"partner_id": partner_id, "sequence": {"$gt": after}}, session=self._source.session
            )
            .sort("sequence", ASCENDING)
            .limit(limit)
        )
        return [_feed_event(doc) async for doc in cursor]

    async def remember_scored(
        self, organisation_id: str, scored_at: datetime, summary: dict[str, Any]
    ) -> None:
        """Keep an organisation's latest scorecard summary; an older one is ignored."""
        session = self._source.session
        known = await self._scored.find_one({"_id": organisation_id}, {"scored_at": 1}, session=session)
        if known is None or known["scored_at"] <= scored_at:
            await self._scored.replace_one(
                {"_id": organisation_id},
                {"scored_at": scored_at, "summary": summary},
                upsert=True,
                session=session,
            )

    async def last_scored(self, organisation_id: str) -> tuple[datetime, dict[str, Any]] | None:
        """Return when the organisation's latest scorecard was made, and its summary."""
        doc = await self._scored.find_one({"_id": organisation_id}, session=self._source.session)
        return (doc["scored_at"], doc["summary"]) if doc else None

    async def forget_organisation(self, organisation_id: str, at: datetime) -> None:
        """End an erased organisation's grants, delete its feed events and its scorecard summary."""
        session = self._source.session
        await self._grants.update_many(
            {"organisation_id": organisation_id, "$or": [{"revoked_at": None}, {"revoked_at": {"$gt": at}}]},
            {"$set": {"revoked_at": at}},
            session=session,
        )
        await self._feed.delete_many({"organisation_id": organisation_id}, session=session)
        await self._scored.delete_one({"_id": organisation_id}, session=session)
