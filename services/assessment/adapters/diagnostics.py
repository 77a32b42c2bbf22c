"""Diagnostics and answers in the assessment database, always read within their account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.assessment.domain.diagnostic import Answer, ScopedIndicator
from services.assessment.domain.records import (
    DiagnosticRecord,
    Evidence,
    Respondent,
    StoredAnswer,
    Validation,
)

Database = AsyncDatabase[dict[str, Any]]


def _diagnostic_to_document(d: DiagnosticRecord) -> dict[str, Any]:
    return {
        "_id": d.diagnostic_id,
        "account_id": d.account_id,
        "organisation_id": d.organisation_id,
        "model_id": d.model_id,
        "model_version": d.model_version,
        "scope": d.scope,
        "profile": d.profile,
        "indicators": [i.__dict__ for i in d.indicators],
        "status": d.status,
        "opened_at": d.opened_at,
        "status_at": d.status_at,
        "respondents": [r.__dict__ for r in d.respondents],
        "validations": {code: v.__dict__ for code, v in d.validations.items()},
    }


def _diagnostic_from_document(doc: dict[str, Any]) -> DiagnosticRecord:
    return DiagnosticRecord(
        diagnostic_id=doc["_id"],
        account_id=doc["account_id"],
        organisation_id=doc["organisation_id"],
        model_id=doc["model_id"],
        model_version=doc["model_version"],
        scope=doc["scope"],
        profile=doc["profile"],
        indicators=tuple(ScopedIndicator(**i) for i in doc["indicators"]),
        status=doc["status"],
        opened_at=doc["opened_at"],
        status_at=doc.get("status_at") or {},
        respondents=tuple(Respondent(**r) for r in doc.get("respondents", [])),
        validations={code: Validation(**v) for code, v in (doc.get("validations") or {}).items()},
        scoring_error=doc.get("scoring_error"),
    )


def _answer_to_document(a: StoredAnswer) -> dict[str, Any]:
    return {
        "_id": f"{a.diagnostic_id}:{a.answer.respondent_id}:{a.answer.indicator}",
        "diagnostic_id": a.diagnostic_id,
        "account_id": a.account_id,
        "respondent_id": a.answer.respondent_id,
        "indicator": a.answer.indicator,
        "level": a.answer.level,
        "not_applicable": a.answer.not_applicable,
        "criteria_met": list(a.answer.criteria_met),
        "comment": a.answer.comment,
        "evidence": [e.__dict__ for e in a.evidence],
        "updated_at": a.updated_at,
    }


def _answer_from_document(doc: dict[str, Any]) -> StoredAnswer:
    answer = Answer(
        respondent_id=doc["respondent_id"],
        indicator=doc["indicator"],
        level=doc["level"],
        not_applicable=doc["not_applicable"],
        criteria_met=tuple(doc.get("criteria_met", ())),
        comment=doc.get("comment", ""),
    )
    evidence = tuple(Evidence(**e) for e in doc.get("evidence", []))
    return StoredAnswer(doc["diagnostic_id"], doc["account_id"], answer, evidence, doc["updated_at"])


class DiagnosticRepository:
    """Store diagnostics and their answers."""

    def __init__(self, db: Database) -> None:
        self._diagnostics = db["diagnostics"]
        self._answers = db["answers"]

    async def ensure_indexes(self) -> None:
        """Index diagnostics by organisation and answers by diagnostic."""
        await self._diagnostics.create_index([("account_id", ASCENDING), ("organisation_id", ASCENDING)])
        await self._answers.create_index([("diagnostic_id", ASCENDING), ("indicator", ASCENDING)])

    async def add(self, record: DiagnosticRecord, *, session: AsyncClientSession | None = None) -> None:
        """Store a new diagnostic."""
        await self._diagnostics.insert_one(_diagnostic_to_document(record), session=session)

    async def get(self, account_id: str, diagnostic_id: str) -> DiagnosticRecord | None:
        """Return one of the account's diagnostics."""
        doc = await self._diagnostics.find_one({"_id": diagnostic_id, "account_id": account_id})
        return _diagnostic_from_document(doc) if doc else None

    async def for_organisation(self, account_id: str, organisation_id: str) -> list[DiagnosticRecord]:
        """List an organisation's diagnostics, oldest first."""
        cursor = self._diagnostics.find({"account_id": account_id, "organisation_id": organisation_id}).sort(
            "opened_at", ASCENDING
        )
        return [_diagnostic_from_document(doc) async for doc in cursor]

    async def add_respondent(self, record: DiagnosticRecord, respondent: Respondent) -> bool:
        """Add a respondent to a draft; False if the diagnostic is no longer a draft."""
        result = await self._diagnostics.update_one(
            {"_id": record.diagnostic_id, "account_id": record.account_id, "status": "draft"},
            {"$push": {"respondents": respondent.__dict__}},
        )
        return result.modified_count == 1

    async def revoke_respondent(self, record: DiagnosticRecord, respondent_id: str, *, at: datetime) -> bool:
        """Mark a respondent revoked; False if there is no such active respondent."""
        result = await self._diagnostics.update_one(
            {"_id": record.diagnostic_id, "account_id": record.account_id},
            {"$set": {"respondents.$[r].revoked_at": at}},
            array_filters=[{"r.respondent_id": respondent_id, "r.revoked_at": None}],
        )
        return result.modified_count == 1

    async def set_validation(self, record: DiagnosticRecord, code: str, validation: Validation) -> bool:
        """Set an indicator's validated level on a draft; False if it is no longer a draft."""
        result = await self._diagnostics.update_one(
            {"_id": record.diagnostic_id, "account_id": record.account_id, "status": "draft"},
            {"$set": {f"validations.{code}": validation.__dict__}},
        )
        return result.modified_count == 1

    async def move(
        self, record: DiagnosticRecord, *, expected_status: str, session: AsyncClientSession | None = None
    ) -> bool:
        """Store a status change if the status is still the expected one."""
        result = await self._diagnostics.update_one(
            {"_id": record.diagnostic_id, "account_id": record.account_id, "status": expected_status},
            {"$set": {"status": record.status, "status_at": record.status_at}},
            session=session,
        )
        return result.modified_count == 1

    async def put_answer(self, answer: StoredAnswer) -> None:
        """Store a respondent's answer on an indicator, replacing the previous one."""
        document = _answer_to_document(answer)
        await self._answers.replace_one({"_id": document["_id"]}, document, upsert=True)

    async def answers(
        self, diagnostic_id: str, *, session: AsyncClientSession | None = None
    ) -> list[StoredAnswer]:
        """Return every answer of a diagnostic."""
        cursor = self._answers.find({"diagnostic_id": diagnostic_id}, session=session).sort(
            [("indicator", ASCENDING), ("respondent_id", ASCENDING)]
        )
        return [_answer_from_document(doc) async for doc in cursor]

    async def erase_organisation(
        self, account_id: str, organisation_id: str, *, session: AsyncClientSession
    ) -> None:
        """Delete every diagnostic and answer of an organisation."""
        ids = [
            d["_id"]
            async for d in self._diagnostics.find(
                {"account_id": account_id, "organisation_id": organisation_id}, {"_id": 1}, session=session
            )
        ]
        await self._answers.delete_many({"diagnostic_id": {"$in": ids}}, session=session)
        await self._diagnostics.delete_many({"_id": {"$in": ids}}, session=session)

    async def mark_scored(self, diagnostic_id: str, *, at: datetime, session: AsyncClientSession) -> bool:
        """Move a submitted diagnostic to scored; False if it is not (or no longer) submitted."""
        result = await self._diagnostics.update_one(
            {"_id": diagnostic_id, "status": "submitted"},
            {"$set": {"status": "scored", "status_at.scored": at}, "$unset": {"scoring_error": ""}},
            session=session,
        )
        return result.modified_count == 1

    async def note_scoring_failure(
        self, diagnostic_id: str, reason: str, *, session: AsyncClientSession
    ) -> None:
        """Record why scoring failed, for the owner to see; the diagnostic stays submitted."""
        await self._diagnostics.update_one(
            {"_id": diagnostic_id, "status": "submitted"},
            {"$set": {"scoring_error": reason}},
            session=session,
        )
