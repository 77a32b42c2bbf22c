"""Partners and their grants in the assessment database."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.assessment.domain.partners import Grant, Partner
from shared.events.contracts.assessment import GrantGiver
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource


def _partner_to_document(partner: Partner) -> dict[str, Any]:
    return {
        "_id": partner.partner_id,
        "name": partner.name,
        "event_kinds": list(partner.event_kinds),
        "created_at": partner.created_at,
        "active": partner.active,
        "updated_at": partner.updated_at,
    }


def _partner_from_document(doc: dict[str, Any]) -> Partner:
    return Partner(
        partner_id=doc["_id"],
        name=doc["name"],
        event_kinds=tuple(doc["event_kinds"]),
        created_at=doc["created_at"],
        active=doc["active"],
        updated_at=doc.get("updated_at"),
    )


def _giver(doc: dict[str, Any] | None) -> GrantGiver | None:
    return GrantGiver.model_validate(doc) if doc else None


def _grant_to_document(grant: Grant) -> dict[str, Any]:
    return {
        "_id": grant.grant_id,
        "organisation_id": grant.organisation_id,
        "account_id": grant.account_id,
        "partner_id": grant.partner_id,
        "event_kinds": list(grant.event_kinds),
        "given_by": grant.given_by.model_dump(),
        "given_at": grant.given_at,
        "expires_at": grant.expires_at,
        "backfill": grant.backfill,
        "revoked_at": grant.revoked_at,
        "revoked_by": grant.revoked_by.model_dump() if grant.revoked_by else None,
        "end_reason": grant.end_reason,
    }


def _grant_from_document(doc: dict[str, Any]) -> Grant:
    given_by = _giver(doc["given_by"])
    assert given_by is not None
    return Grant(
        grant_id=doc["_id"],
        organisation_id=doc["organisation_id"],
        account_id=doc["account_id"],
        partner_id=doc["partner_id"],
        event_kinds=tuple(doc["event_kinds"]),
        given_by=given_by,
        given_at=doc["given_at"],
        expires_at=doc.get("expires_at"),
        backfill=doc.get("backfill", False),
        revoked_at=doc.get("revoked_at"),
        revoked_by=_giver(doc.get("revoked_by")),
        end_reason=doc.get("end_reason"),
    )


class MongoPartnerRepository:
    """Store partners and the grants organisations give them."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._partners = db["partners"]
        self._grants = db["partner_grants"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index grants by organisation, newest first."""
        await self._grants.create_index([("organisation_id", ASCENDING), ("given_at", DESCENDING)])

    async def add(self, partner: Partner) -> None:
        """Store a new partner."""
        await self._partners.insert_one(_partner_to_document(partner), session=self._source.session)

    async def get(self, partner_id: str) -> Partner | None:
        """Return a partner."""
        doc = await self._partners.find_one({"_id": partner_id}, session=self._source.session)
        return _partner_from_document(doc) if doc else None

    async def save(self, partner: Partner) -> None:
        """Store a partner's new name, kinds or status."""
        document = _partner_to_document(partner)
        del document["_id"]
        # The revision makes every save a real write, so two changes racing always conflict.
        await self._partners.update_one(
            {"_id": partner.partner_id},
            {"$set": document, "$inc": {"revision": 1}},
            session=self._source.session,
        )

    async def listed(self, *, active_only: bool = False) -> list[Partner]:
        """List the partners by name."""
        selector: dict[str, Any] = {"active": True} if active_only else {}
        cursor = self._partners.find(selector, session=self._source.session).sort(
            [("name", ASCENDING), ("_id", ASCENDING)]
        )
        return [_partner_from_document(doc) async for doc in cursor]

    async def add_grant(self, grant: Grant) -> None:
        """Store a new grant."""
        await self._grants.insert_one(_grant_to_document(grant), session=self._source.session)

    async def grant(self, organisation_id: str, grant_id: str) -> Grant | None:
        """Return one of an organisation's grants."""
        doc = await self._grants.find_one(
            {"_id": grant_id, "organisation_id": organisation_id}, session=self._source.session
        )
        return _grant_from_document(doc) if doc else None

    async def grants(self, organisation_id: str) -> list[Grant]:
        """List an organisation's grants, the ended ones too, newest first."""
        cursor = self._grants.find({"organisation_id": organisation_id}, session=self._source.session)
        return [_grant_from_document(doc) async for doc in cursor.sort("given_at", DESCENDING)]

    async def save_grant(self, grant: Grant) -> bool:
        """Store a grant's end; False if it had ended meanwhile."""
        result = await self._grants.update_one(
            {"_id": grant.grant_id, "end_reason": None},
            {
                "$set": {
                    "revoked_at": grant.revoked_at,
                    "revoked_by": grant.revoked_by.model_dump() if grant.revoked_by else None,
                    "end_reason": grant.end_reason,
                }
            },
            session=self._source.session,
        )
        return result.modified_count == 1
