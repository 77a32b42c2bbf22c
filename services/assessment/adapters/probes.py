"""Probe documents in the assessment database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from services.assessment.domain.probes import Probe, ProbeAnswer
from shared.mongo import Database, ensure_index
from shared.mongo_unit_of_work import SessionSource

PROBES_COLLECTION = "probes"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _to_document(probe: Probe) -> dict[str, Any]:
    return {
        "_id": probe.probe_id,
        "requested_at": probe.requested_at,
        "expected": list(probe.expected),
        "answers": {},
    }


def _from_document(doc: dict[str, Any]) -> Probe:
    answers = {
        service: ProbeAnswer(
            service=service,
            received_at=_aware(raw["received_at"]),
            answered_at=_aware(raw["answered_at"]),
            deliveries=int(raw["deliveries"]),
        )
        for service, raw in (doc.get("answers") or {}).items()
    }
    return Probe(
        probe_id=doc["_id"],
        requested_at=_aware(doc["requested_at"]),
        expected=tuple(doc["expected"]),
        answers=answers,
    )


class MongoProbeRepository:
    """Store probes and the answers they receive."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db[PROBES_COLLECTION]
        self._source = source

    async def ensure_indexes(self, ttl_seconds: int) -> None:
        """Forget probes after their retention (the scheduled probe adds one a minute)."""
        await ensure_index(self._collection, "requested_at", expireAfterSeconds=ttl_seconds)

    async def add_many(self, probes: Sequence[Probe]) -> None:
        """Store new probes."""
        await self._collection.insert_many([_to_document(p) for p in probes], session=self._source.session)

    async def get(self, probe_id: str) -> Probe | None:
        """Return a probe, or None."""
        doc = await self._collection.find_one({"_id": probe_id}, session=self._source.session)
        return _from_document(doc) if doc else None

    async def record_answer(
        self,
        probe_id: str,
        *,
        service: str,
        answered_at: datetime,
        received_at: datetime,
    ) -> Probe | None:
        """Count an answer (a second one would show as deliveries > 1); None if the probe is unknown."""
        doc = await self._collection.find_one_and_update(
            {"_id": probe_id},
            {
                "$inc": {f"answers.{service}.deliveries": 1},
                "$min": {
                    f"answers.{service}.received_at": received_at,
                    f"answers.{service}.answered_at": answered_at,
                },
            },
            session=self._source.session,
            return_document=True,
        )
        return _from_document(doc) if doc else None
