"""Accounts' plans as assessment announced them: a copy kept by each service that serves by plan."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shared.events.contracts.assessment import Plan
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource

PLANS_COLLECTION = "account_plans"


class PlanRepository(Protocol):
    """Accounts' plans as assessment announced them."""

    async def plan(self, account_id: str) -> Plan | None:
        """Return an account's plan, if announced."""

    async def set(self, account_id: str, plan: Plan, *, at: datetime) -> None:
        """Record a plan (an older announcement arriving late changes nothing)."""


class MongoPlanRepository:
    """One document per account: its plan and when assessment announced it."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db[PLANS_COLLECTION]
        self._source = source

    async def plan(self, account_id: str) -> Plan | None:
        """Return an account's plan, if announced."""
        doc = await self._collection.find_one({"_id": account_id}, session=self._source.session)
        return doc["plan"] if doc else None

    async def set(self, account_id: str, plan: Plan, *, at: datetime) -> None:
        """Record a plan unless a newer announcement is already there."""
        session = self._source.session
        doc = await self._collection.find_one({"_id": account_id}, session=session)
        if doc is not None and doc["changed_at"] > at:
            return
        await self._collection.replace_one(
            {"_id": account_id}, {"plan": plan, "changed_at": at}, upsert=True, session=session
        )


class MemoryPlanRepository:
    """Plans in a dictionary, for unit tests."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[Plan, datetime]] = {}

    async def plan(self, account_id: str) -> Plan | None:
        """Return an account's plan."""
        found = self.items.get(account_id)
        return found[0] if found else None

    async def set(self, account_id: str, plan: Plan, *, at: datetime) -> None:
        """Record a plan unless a newer one is known."""
        found = self.items.get(account_id)
        if found is None or found[1] <= at:
            self.items[account_id] = (plan, at)
