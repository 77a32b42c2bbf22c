"""Accounts' plans in the benchmark database."""

from __future__ import annotations

from datetime import datetime

from services.benchmark.domain.accounts import Plan
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource


class MongoPlanRepository:
    """One document per account: its plan and when assessment announced it."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db["account_plans"]
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
