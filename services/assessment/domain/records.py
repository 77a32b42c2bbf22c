"""The diagnostic aggregate: its frozen scope, respondents, validated levels and status."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from services.assessment.domain.diagnostic import (
    Answer,
    Consolidated,
    DiagnosticRuleError,
    DiagnosticStatus,
    ScopedIndicator,
    consolidate,
    ensure_draft,
    missing_for_submission,
)

EvidenceKind = Literal["url", "note"]


@dataclass(frozen=True)
class Evidence:
    """A piece of evidence: a link or a note, optionally tied to one criterion."""

    kind: EvidenceKind
    value: str
    criterion_id: str | None = None


@dataclass(frozen=True)
class Respondent:
    """Someone invited to answer (executive, marketing, HR, IT…)."""

    respondent_id: str
    name: str
    role: str
    invited_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Validation:
    """A level set by the owner or the expert; it wins over the respondents' answers."""

    level: int | None
    not_applicable: bool
    comment: str
    validated_at: datetime


@dataclass(frozen=True)
class StoredAnswer:
    """An answer with its evidence, as stored."""

    diagnostic_id: str
    account_id: str
    answer: Answer
    evidence: tuple[Evidence, ...]
    updated_at: datetime


class MissingIndicators(DiagnosticRuleError):
    """Submission refused: these indicators are neither consolidated nor declared N/A."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"{len(missing)} indicator(s) still need a level or an N/A")
        self.missing = missing


@dataclass(frozen=True)
class DiagnosticRecord:
    """A diagnostic on one model version, for one organisation of one account."""

    diagnostic_id: str
    account_id: str
    organisation_id: str
    model_id: str
    model_version: str
    scope: str
    profile: dict[str, Any]
    indicators: tuple[ScopedIndicator, ...]
    status: DiagnosticStatus
    opened_at: datetime
    status_at: dict[str, datetime] = field(default_factory=dict)
    respondents: tuple[Respondent, ...] = ()
    validations: dict[str, Validation] = field(default_factory=dict)
    scoring_error: str | None = None

    def scoped(self, code: str) -> ScopedIndicator:
        """Return an indicator of the scope, or refuse."""
        found = next((i for i in self.indicators if i.code == code), None)
        if found is None:
            raise DiagnosticRuleError(f"{code} is not in this diagnostic's scope")
        return found

    def respondent(self, respondent_id: str) -> Respondent | None:
        """Return an active respondent."""
        return next(
            (r for r in self.respondents if r.respondent_id == respondent_id and r.revoked_at is None), None
        )

    def invite(self, respondent: Respondent) -> DiagnosticRecord:
        """Add a respondent (draft only)."""
        ensure_draft(self.status)
        return replace(self, respondents=(*self.respondents, respondent))

    def validate(self, code: str, validation: Validation) -> DiagnosticRecord:
        """Set the validated level of an indicator (draft only)."""
        ensure_draft(self.status)
        indicator = self.scoped(code)
        if validation.not_applicable and not indicator.allows_na:
            raise DiagnosticRuleError(f"{code} cannot be declared not applicable")
        return replace(self, validations={**self.validations, code: validation})

    def consolidate(self, answers: list[Answer]) -> dict[str, Consolidated]:
        """Consolidate every indicator of the scope."""
        by_code: dict[str, list[Answer]] = {}
        for answer in answers:
            by_code.setdefault(answer.indicator, []).append(answer)
        result = {}
        for item in self.indicators:
            validation = self.validations.get(item.code)
            result[item.code] = consolidate(
                item,
                by_code.get(item.code, []),
                validation.level if validation else None,
                validated_na=bool(validation and validation.not_applicable),
            )
        return result

    def submit(
        self, answers: list[Answer], *, at: datetime, assessed_at: datetime | None = None
    ) -> tuple[DiagnosticRecord, dict[str, Consolidated]]:
        """Submit the diagnostic, or refuse listing every indicator still missing."""
        ensure_draft(self.status)
        if assessed_at is not None and assessed_at > at:
            raise DiagnosticRuleError("an assessment cannot have been carried out in the future")
        consolidated = self.consolidate(answers)
        missing = missing_for_submission(list(self.indicators), consolidated)
        if missing:
            raise MissingIndicators(missing)
        submitted = self._moved("submitted", at)
        if assessed_at is not None:
            submitted = replace(submitted, status_at={**submitted.status_at, "assessed": assessed_at})
        return submitted, consolidated

    def withdraw(self, *, at: datetime) -> DiagnosticRecord:
        """Withdraw a draft or submitted diagnostic."""
        if self.status not in ("draft", "submitted"):
            raise DiagnosticRuleError(f"a {self.status} diagnostic cannot be withdrawn")
        return self._moved("withdrawn", at)

    def _moved(self, status: DiagnosticStatus, at: datetime) -> DiagnosticRecord:
        return replace(self, status=status, status_at={**self.status_at, status: at})
