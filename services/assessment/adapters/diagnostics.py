"""Diagnostics and answers in the assessment database, always read within their account."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DocumentTooLarge, WriteError

from services.assessment.adapters.legacy_answers import move_legacy_answers
from services.assessment.domain.answers import Answer, Evidence, StoredAnswer
from services.assessment.domain.consolidation import ScopedIndicator
from services.assessment.domain.diagnostics import Diagnostic, DiagnosticStatus, Respondent, Validation
from shared.errors import InvalidInput
from shared.mongo import Database
from shared.mongo_unit_of_work import SessionSource

logger = logging.getLogger(__name__)

#: The diagnostic without its answers: what every read of the diagnostic itself needs.
WITHOUT_ANSWERS = {"answers": 0}
#: Server codes of a document that would grow past the BSON limit (too large, update result too large).
TOO_LARGE = frozenset({10334, 17419, 17420})


def _state(d: Diagnostic) -> dict[str, Any]:
    """Return what changes over a diagnostic's life (the scope is frozen at opening)."""
    return {
        "status": d.status,
        "status_at": d.status_at,
        "respondents": [r.__dict__ for r in d.respondents],
        "validations": {code: _validation_to_document(v) for code, v in d.validations.items()},
        "answered_at": d.answered_at,
    }


def _validation_to_document(v: Validation) -> dict[str, Any]:
    body = dict(v.__dict__)
    body["criteria_met"] = list(v.criteria_met) if v.criteria_met is not None else None
    return body


def _validation_from_document(doc: dict[str, Any]) -> Validation:
    criteria = doc.get("criteria_met")
    return Validation(
        level=doc["level"],
        not_applicable=doc["not_applicable"],
        comment=doc.get("comment", ""),
        validated_at=doc["validated_at"],
        criteria_met=tuple(criteria) if criteria is not None else None,
    )


def _diagnostic_to_document(d: Diagnostic) -> dict[str, Any]:
    return {
        "_id": d.diagnostic_id,
        "account_id": d.account_id,
        "organisation_id": d.organisation_id,
        "model_id": d.model_id,
        "model_version": d.model_version,
        "scope": d.scope,
        "profile": d.profile,
        "indicators": [i.__dict__ for i in d.indicators],
        "opened_at": d.opened_at,
        **_state(d),
    }


def _diagnostic_from_document(doc: dict[str, Any]) -> Diagnostic:
    return Diagnostic(
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
        validations={
            code: _validation_from_document(v) for code, v in (doc.get("validations") or {}).items()
        },
        scoring_error=doc.get("scoring_error"),
        answered_at=doc.get("answered_at"),
    )


def _answer_to_document(a: StoredAnswer) -> dict[str, Any]:
    """Return an answer as kept in its diagnostic, under answers.<respondent>.<indicator>."""
    criteria = a.answer.criteria_met
    return {
        "level": a.answer.level,
        "not_applicable": a.answer.not_applicable,
        "criteria_met": list(criteria) if criteria is not None else None,
        "comment": a.answer.comment,
        "evidence": [e.__dict__ for e in a.evidence],
        "updated_at": a.updated_at,
    }


def _answer_from_document(
    diagnostic_id: str, account_id: str, respondent_id: str, indicator: str, doc: dict[str, Any]
) -> StoredAnswer:
    criteria = doc.get("criteria_met")
    answer = Answer(
        respondent_id=respondent_id,
        indicator=indicator,
        level=doc["level"],
        not_applicable=doc["not_applicable"],
        criteria_met=tuple(criteria) if criteria is not None else None,
        comment=doc.get("comment", ""),
    )
    evidence = tuple(Evidence(**e) for e in doc.get("evidence", []))
    return StoredAnswer(diagnostic_id, account_id, answer, evidence, doc["updated_at"])


class MongoDiagnosticRepository:
    """Store diagnostics."""

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._collection = db["diagnostics"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Index diagnostics by organisation, and by status for the reconciliation job."""
        await self._collection.create_index([("account_id", ASCENDING), ("organisation_id", ASCENDING)])
        await self._collection.create_index([("status", ASCENDING), ("status_at.submitted", ASCENDING)])

    async def unscored_since(self, before: datetime, *, limit: int = 1000) -> list[str]:
        """Return diagnostics submitted before a moment and still waiting for scoring (not failed)."""
        cursor = self._collection.find(
            {"status": "submitted", "status_at.submitted": {"$lt": before}, "scoring_error": None},
            {"_id": 1},
            session=self._source.session,
        ).limit(limit)
        return [doc["_id"] async for doc in cursor]

    async def add(self, diagnostic: Diagnostic) -> None:
        """Store a new diagnostic."""
        await self._collection.insert_one(_diagnostic_to_document(diagnostic), session=self._source.session)

    async def get(self, account_id: str, diagnostic_id: str) -> Diagnostic | None:
        """Return one of the account's diagnostics."""
        doc = await self._collection.find_one(
            {"_id": diagnostic_id, "account_id": account_id}, WITHOUT_ANSWERS, session=self._source.session
        )
        return _diagnostic_from_document(doc) if doc else None

    async def respondents(self, account_id: str, diagnostic_id: str) -> tuple[Respondent, ...] | None:
        """Return the respondents of one of the account's diagnostics (None: no such diagnostic)."""
        doc = await self._collection.find_one(
            {"_id": diagnostic_id, "account_id": account_id}, {"respondents": 1}, session=self._source.session
        )
        return tuple(Respondent(**r) for r in doc.get("respondents", [])) if doc else None

    async def for_organisation(self, account_id: str, organisation_id: str) -> list[Diagnostic]:
        """List an organisation's diagnostics, oldest first."""
        cursor = self._collection.find(
            {"account_id": account_id, "organisation_id": organisation_id},
            WITHOUT_ANSWERS,
            session=self._source.session,
        ).sort("opened_at", ASCENDING)
        return [_diagnostic_from_document(doc) async for doc in cursor]

    async def save(self, diagnostic: Diagnostic, *, expected_status: DiagnosticStatus) -> bool:
        """Store a diagnostic's new state if its status is still the expected one."""
        result = await self._collection.update_one(
            {"_id": diagnostic.diagnostic_id, "account_id": diagnostic.account_id, "status": expected_status},
            # The revision makes every save a real write, so two transactions saving it always conflict.
            {"$set": _state(diagnostic), "$inc": {"revision": 1}},
            session=self._source.session,
        )
        return result.matched_count == 1

    async def erase_organisation(self, account_id: str, organisation_id: str) -> list[str]:
        """Delete every diagnostic of an organisation; return their ids."""
        session = self._source.session
        query = {"account_id": account_id, "organisation_id": organisation_id}
        ids = [d["_id"] async for d in self._collection.find(query, {"_id": 1}, session=session)]
        await self._collection.delete_many({"_id": {"$in": ids}}, session=session)
        return ids

    async def mark_scored(self, diagnostic_id: str, *, at: datetime) -> bool:
        """Move a submitted diagnostic to scored; False if it is not (or no longer) submitted."""
        result = await self._collection.update_one(
            {"_id": diagnostic_id, "status": "submitted"},
            {"$set": {"status": "scored", "status_at.scored": at}, "$unset": {"scoring_error": ""}},
            session=self._source.session,
        )
        return result.modified_count == 1

    async def note_scoring_failure(self, diagnostic_id: str, reason: str) -> bool:
        """Record why scoring failed, for the owner to see; False if already noted or not submitted."""
        result = await self._collection.update_one(
            {"_id": diagnostic_id, "status": "submitted", "scoring_error": {"$ne": reason}},
            {"$set": {"scoring_error": reason}},
            session=self._source.session,
        )
        return result.modified_count == 1


class MongoAnswerRepository:
    """Respondents' answers, kept in their diagnostic's document: one write checks and stores them.

    Under `answers.<respondent>.<indicator>`, so the write that stores an answer is the one that
    checks the diagnostic is still a draft and the respondent still active, and a submission's
    transaction, which writes that document too, can never miss an answer written beside it.
    """

    def __init__(self, db: Database, source: SessionSource) -> None:
        self._diagnostics = db["diagnostics"]
        # Where versions before the answers moved into their diagnostic kept them, one document each.
        self._legacy = db["answers"]
        self._source = source

    async def ensure_indexes(self) -> None:
        """Move answers kept one document each by earlier versions into their diagnostics."""
        moved = await move_legacy_answers(self._legacy, self._diagnostics)
        if moved:
            logger.info("moved %d answers into their diagnostics", moved)

    async def record(
        self,
        diagnostic_id: str,
        *,
        account_id: str,
        respondent_id: str,
        answers: Sequence[StoredAnswer],
        at: datetime,
    ) -> bool:
        """Store a respondent's answers in one conditional write; False if the diagnostic refused it."""
        answered = {f"answers.{respondent_id}.{a.answer.indicator}": _answer_to_document(a) for a in answers}
        try:
            result = await self._diagnostics.update_one(
                {
                    "_id": diagnostic_id,
                    "account_id": account_id,
                    "status": "draft",
                    "respondents": {"$elemMatch": {"respondent_id": respondent_id, "revoked_at": None}},
                },
                # The revision makes every write a real change, as a diagnostic's saves do.
                {"$set": {**answered, "answered_at": at}, "$inc": {"revision": 1}},
                session=self._source.session,
            )
        except (DocumentTooLarge, WriteError) as exc:
            if isinstance(exc, WriteError) and exc.code not in TOO_LARGE:
                raise
            raise InvalidInput(
                "These answers would make the diagnostic larger than the database stores (16 MB);"
                " shorten the comments or the evidence."
            ) from exc
        return result.matched_count == 1

    async def of(self, diagnostic_id: str) -> list[StoredAnswer]:
        """Return every answer of a diagnostic, by indicator then respondent."""
        doc = await self._diagnostics.find_one(
            {"_id": diagnostic_id}, {"account_id": 1, "answers": 1}, session=self._source.session
        )
        if doc is None:
            return []
        found = [
            _answer_from_document(diagnostic_id, doc["account_id"], respondent, indicator, answer)
            for respondent, given in (doc.get("answers") or {}).items()
            for indicator, answer in given.items()
        ]
        return sorted(found, key=lambda a: (a.answer.indicator, a.answer.respondent_id))

    async def erase(self, diagnostic_ids: Sequence[str]) -> None:
        """Delete the answers of these diagnostics (in their documents, they go with them)."""
        await self._legacy.delete_many(
            {"diagnostic_id": {"$in": list(diagnostic_ids)}}, session=self._source.session
        )
