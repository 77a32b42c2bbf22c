"""Change notices and alerts in MongoDB."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.watch.domain.alerts import Alert
from services.watch.domain.notices import ModelChange, Notice, Scope
from services.watch.domain.rules import parse_rule
from shared.model.diff import Change
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def notice_to_document(notice: Notice) -> dict[str, Any]:
    """Return the stored form of a notice: its catalogue entry, then its lifecycle."""
    scope, change = notice.scope, notice.model_change
    return {
        "kind": notice.kind,
        "severity": notice.severity,
        "title_fr": notice.title_fr,
        "summary_fr": notice.summary_fr,
        "source_url": notice.source_url,
        "see_also": list(notice.see_also),
        "effective_date": _day(notice.effective_date),
        "date_note": notice.date_note,
        "deadline": _day(notice.deadline),
        "indicators": sorted(scope.indicators),
        "groupements": sorted(scope.groupements),
        "levers": sorted(scope.levers),
        "sectors": sorted(scope.sectors),
        "size_bands": sorted(scope.size_bands),
        "organisation_types": sorted(scope.organisation_types),
        "model_id": scope.model_id,
        "min_model_version": scope.min_model_version,
        "max_model_version": scope.max_model_version,
        "rule": None if notice.rule is None else str(notice.rule),
        "mapping_note": notice.mapping_note,
        "model_change": None
        if change is None
        else {
            "from_version": change.from_version,
            "to_version": change.to_version,
            "changes": [c.model_dump(mode="json") for c in change.changes],
        },
        "status": notice.status,
        "published_at": notice.published_at,
        "withdrawn_at": notice.withdrawn_at,
        "withdrawal_reason": notice.withdrawal_reason,
    }


def notice_from_document(doc: dict[str, Any]) -> Notice:
    """Return a notice from its stored form."""
    change = doc["model_change"]
    return Notice(
        id=doc["_id"],
        kind=doc["kind"],
        title_fr=doc["title_fr"],
        summary_fr=doc["summary_fr"],
        source_url=doc["source_url"],
        see_also=tuple(doc["see_also"]),
        effective_date=_date(doc["effective_date"]),
        date_note=doc["date_note"],
        deadline=_date(doc["deadline"]),
        severity=doc["severity"],
        scope=Scope(
            **{name: frozenset(doc[name]) for name in _SETS},
            model_id=doc["model_id"],
            min_model_version=doc["min_model_version"],
            max_model_version=doc["max_model_version"],
        ),
        rule=None if doc["rule"] is None else parse_rule(doc["rule"]),
        model_change=None
        if change is None
        else ModelChange(
            change["from_version"],
            change["to_version"],
            tuple(Change.model_validate(c) for c in change["changes"]),
        ),
        mapping_note=doc["mapping_note"],
        status=doc["status"],
        published_at=doc["published_at"],
        withdrawn_at=doc["withdrawn_at"],
        withdrawal_reason=doc["withdrawal_reason"],
    )


_SETS = ("indicators", "groupements", "levers", "sectors", "size_bands", "organisation_types")


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


class MongoNoticeRepository:
    """One document per notice."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db["notices"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index notices by status (a new diagnostic is matched against the published ones)."""
        await self._collection.create_index([("status", ASCENDING), ("published_at", DESCENDING)])

    async def get(self, notice_id: str) -> Notice | None:
        """Return a notice."""
        doc = await self._collection.find_one({"_id": notice_id}, session=self._source.session)
        return notice_from_document(doc) if doc else None

    async def add(self, notice: Notice) -> bool:
        """Store a new notice; False when its id exists already."""
        result = await self._collection.update_one(
            {"_id": notice.id},
            {"$setOnInsert": {**notice_to_document(notice), "fanned_out": False}},
            upsert=True,
            session=self._source.session,
        )
        return result.upserted_id is not None

    async def save(self, notice: Notice) -> None:
        """Store a notice's new state."""
        await self._collection.update_one(
            {"_id": notice.id},
            {"$set": notice_to_document(notice)},
            upsert=True,
            session=self._source.session,
        )

    async def pending_fan_out(self) -> list[str]:
        """Return the published notices whose organisations are not all alerted yet."""
        cursor = self._collection.find(
            {"status": "published", "fanned_out": {"$ne": True}}, {"_id": 1}, session=self._source.session
        )
        return [str(doc["_id"]) async for doc in cursor]

    async def mark_fanned_out(self, notice_id: str) -> None:
        """Remember that every organisation a notice targets was alerted."""
        await self._collection.update_one(
            {"_id": notice_id}, {"$set": {"fanned_out": True}}, session=self._source.session
        )

    async def listed(self, *, status: str | None = None, kind: str | None = None) -> list[Notice]:
        """Return notices, newest published first, then drafts by id."""
        query = {k: v for k, v in (("status", status), ("kind", kind)) if v is not None}
        cursor = self._collection.find(query, session=self._source.session)
        notices = [notice_from_document(doc) async for doc in cursor]
        return sorted(notices, key=lambda n: (n.published_at is not None, n.published_at, n.id), reverse=True)

    async def published(self) -> list[Notice]:
        """Return the published notices."""
        return await self.listed(status="published")


def _alert_document(alert: Alert) -> dict[str, Any]:
    return {f.name: getattr(alert, f.name) for f in dataclasses.fields(alert) if f.init and f.name != "id"}


def _alert(doc: dict[str, Any]) -> Alert:
    doc.pop("impact", None)
    return Alert(id=doc.pop("_id"), **doc)


class MongoAlertRepository:
    """One document per alert (organisation × notice)."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db["alerts"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index alerts by organisation and by notice."""
        await self._collection.create_index([("organisation_id", ASCENDING), ("opened_at", DESCENDING)])
        await self._collection.create_index([("notice_id", ASCENDING)])

    async def get(self, alert_id: str) -> Alert | None:
        """Return an alert."""
        doc = await self._collection.find_one({"_id": alert_id}, session=self._source.session)
        return _alert(doc) if doc else None

    async def save(self, alert: Alert, *, impact: dict[str, Any] | None = None) -> None:
        """Store an alert's state (created if new), with what its notice means for the organisation."""
        document = _alert_document(alert) | ({"impact": impact} if impact is not None else {})
        await self._collection.update_one(
            {"_id": alert.id}, {"$set": document}, upsert=True, session=self._source.session
        )

    async def of_organisation(self, organisation_id: str, *, status: str | None = None) -> list[Alert]:
        """Return an organisation's alerts, newest first."""
        query: dict[str, Any] = {"organisation_id": organisation_id}
        if status is not None:
            query["status"] = status
        cursor = self._collection.find(query, session=self._source.session).sort("opened_at", DESCENDING)
        return [_alert(doc) async for doc in cursor]

    async def of_notice(self, notice_id: str) -> list[Alert]:
        """Return a notice's alerts."""
        cursor = self._collection.find({"notice_id": notice_id}, session=self._source.session)
        return [_alert(doc) async for doc in cursor]

    async def impact(self, alert_id: str) -> dict[str, Any] | None:
        """Return what the notice means for the organisation, if known."""
        doc = await self._collection.find_one({"_id": alert_id}, {"impact": 1}, session=self._source.session)
        return doc.get("impact") if doc else None

    async def forget_organisation(self, organisation_id: str) -> None:
        """Delete an erased organisation's alerts."""
        await self._collection.delete_many({"organisation_id": organisation_id}, session=self._source.session)
