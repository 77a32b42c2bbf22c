"""Answers stored by earlier versions, one document each, moved into their diagnostics at start."""

from __future__ import annotations

from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

BATCH = 500

Collection = AsyncCollection[dict[str, Any]]


def _embedded(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "level": doc["level"],
        "not_applicable": doc["not_applicable"],
        "criteria_met": doc.get("criteria_met"),
        "comment": doc.get("comment", ""),
        "evidence": doc.get("evidence", []),
        "updated_at": doc["updated_at"],
    }


def _move(doc: dict[str, Any]) -> UpdateOne:
    path = f"answers.{doc['respondent_id']}.{doc['indicator']}"
    # An answer given since, in the diagnostic itself, is newer: it stays.
    return UpdateOne(
        {"_id": doc["diagnostic_id"], path: {"$exists": False}}, {"$set": {path: _embedded(doc)}}
    )


async def move_legacy_answers(legacy: Collection, diagnostics: Collection) -> int:
    """Move every answer document into its diagnostic, then delete it; return how many moved.

    Safe to run again, and by several replicas at once: a move never overwrites an answer.
    """
    moved = 0
    while documents := await legacy.find({}).limit(BATCH).to_list(None):
        await diagnostics.bulk_write([_move(doc) for doc in documents], ordered=False)
        await legacy.delete_many({"_id": {"$in": [doc["_id"] for doc in documents]}})
        moved += len(documents)
    return moved
