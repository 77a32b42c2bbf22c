"""The diagnostic aggregate: its frozen scope, respondents, answers' rules, validated levels, status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from services.assessment.domain.answers import Answer, Given, Questionnaire, StoredAnswer, settle
from services.assessment.domain.consolidation import (
    Consolidated,
    ScopedIndicator,
    Validated,
    applicable_indicators,
    assurance,
    consolidate,
    missing_for_submission,
)
from services.assessment.domain.organisations import Organisation
from shared.aggregate import Aggregate
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events.contracts.assessment import (
    DiagnosticSubmitted,
    DiagnosticWithdrawn,
    Divergence,
    OrganisationProfile,
    RespondentRevoked,
)
from shared.model.schema import Indicator, MaturityModel

DiagnosticStatus = Literal["draft", "submitted", "scored", "withdrawn"]
MAX_BACKDATING = timedelta(days=3653)


class DiagnosticRuleError(Conflict):
    """A request the diagnostic's rules refuse in its present state."""


class MissingIndicators(DiagnosticRuleError):
    """Submission refused: these indicators are neither consolidated nor declared N/A."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"{len(missing)} indicator(s) still need a level or an N/A.",
            errors=[{"indicator": code, "message": "missing"} for code in missing],
        )
        self.missing = missing


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
    criteria_met: tuple[str, ...] | None = None

    def settled(self) -> Validated:
        """Return what consolidation takes from it."""
        return Validated(self.level, self.not_applicable, self.criteria_met)


@dataclass
class Diagnostic(Aggregate):
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
    answered_at: datetime | None = None

    @classmethod
    def open(
        cls, diagnostic_id: str, org: Organisation, model: MaturityModel, *, scope: str, at: datetime
    ) -> Diagnostic:
        """Open a draft on a model version, freezing the indicators that apply to the organisation."""
        profile = None
        if scope != "full":
            found = model.profile(scope)
            if found is None:
                raise InvalidInput(
                    f"No profile {scope!r} in {model.ref}.",
                    errors=[{"path": "scope", "message": "unknown profile"}],
                )
            profile = found.indicators
        indicators = applicable_indicators(
            model, size_band=org.size_band, organisation_type=org.organisation_type, profile=profile
        )
        if not indicators:
            raise InvalidInput("No indicator of this scope applies to the organisation.")
        return cls(
            diagnostic_id,
            org.account_id,
            org.organisation_id,
            model.model_id,
            model.version,
            scope,
            org.profile.model_dump(),
            tuple(indicators),
            "draft",
            at,
        )

    def scoped(self, code: str) -> ScopedIndicator:
        """Return an indicator of the scope, or refuse."""
        found = next((i for i in self.indicators if i.code == code), None)
        if found is None:
            raise NotFound(f"{code} is not in this diagnostic's scope.")
        return found

    def respondent(self, respondent_id: str) -> Respondent | None:
        """Return an active respondent."""
        return next(
            (r for r in self.respondents if r.respondent_id == respondent_id and r.revoked_at is None), None
        )

    def seen_by(self, respondent_id: str) -> Diagnostic:
        """Return a copy naming only this respondent, to show them their own work (never saved)."""
        return replace(
            self, respondents=tuple(r for r in self.respondents if r.respondent_id == respondent_id)
        )

    def ensure_draft(self) -> None:
        """Refuse a change to a diagnostic that is no longer a draft."""
        if self.status != "draft":
            raise DiagnosticRuleError(f"The diagnostic is {self.status}: only a draft can change.")

    def invite(self, respondent: Respondent) -> None:
        """Add a respondent (draft only)."""
        self.ensure_draft()
        self.respondents = (*self.respondents, respondent)

    def revoke_respondent(self, respondent_id: str, *, at: datetime) -> None:
        """Withdraw a respondent's access and announce it, so no service honours their token; answers stay."""
        if self.respondent(respondent_id) is None:
            raise NotFound(f"No active respondent {respondent_id!r}.")
        self.respondents = tuple(
            Respondent(r.respondent_id, r.name, r.role, r.invited_at, at)
            if r.respondent_id == respondent_id
            else r
            for r in self.respondents
        )
        self.record(
            RespondentRevoked(
                respondent_id=respondent_id,
                diagnostic_id=self.diagnostic_id,
                organisation_id=self.organisation_id,
                account_id=self.account_id,
                revoked_at=at,
            ),
            subject=self.organisation_id,
        )

    @property
    def questionnaire(self) -> Questionnaire:
        """Return what never changes once open: account, model version, indicators in scope."""
        codes = frozenset(i.code for i in self.indicators)
        return Questionnaire(self.diagnostic_id, self.account_id, self.model_id, self.model_version, codes)

    def ensure_answerable(self, respondent_id: str) -> None:
        """Refuse answers of a respondent who is not active, or to a diagnostic no longer a draft."""
        if self.respondent(respondent_id) is None:
            raise NotFound(f"No active respondent {respondent_id!r}.")
        self.ensure_draft()

    def answer(self, respondent_id: str, indicator: Indicator, given: Given, *, at: datetime) -> StoredAnswer:
        """Take a respondent's answer on an indicator of the scope (draft only)."""
        if self.respondent(respondent_id) is None:
            raise NotFound(f"No active respondent {respondent_id!r}.")
        self.scoped(indicator.code)
        self.ensure_answerable(respondent_id)
        stored = self.questionnaire.answer(respondent_id, indicator, given, at=at)
        self.answered_at = at
        return stored

    def validate(self, indicator: Indicator, given: Given, *, at: datetime) -> Validation:
        """Set the validated level of an indicator (owner or expert, draft only)."""
        self.scoped(indicator.code)
        self.ensure_draft()
        level = settle(indicator, given)
        validation = Validation(level, given.not_applicable, given.comment, at, given.criteria_met)
        self.validations = {**self.validations, indicator.code: validation}
        return validation

    def consolidate(self, answers: Sequence[Answer]) -> dict[str, Consolidated]:
        """Consolidate every indicator of the scope."""
        by_code: dict[str, list[Answer]] = {}
        for answer in answers:
            by_code.setdefault(answer.indicator, []).append(answer)
        result = {}
        for item in self.indicators:
            validation = self.validations.get(item.code)
            result[item.code] = consolidate(
                item, by_code.get(item.code, []), validation.settled() if validation else None
            )
        return result

    def submit(
        self,
        answers: Sequence[Answer],
        *,
        at: datetime,
        assessed_at: datetime | None = None,
        organisation_name: str | None = None,
    ) -> None:
        """Submit for scoring (the event names the organisation), or refuse listing what is missing."""
        if assessed_at is not None and not at - MAX_BACKDATING <= assessed_at <= at:
            raise InvalidInput(
                "assessed_on must be a past date, at most ten years ago.",
                errors=[{"path": "assessed_on", "message": "out of range"}],
            )
        self.ensure_draft()
        consolidated = self.consolidate(answers)
        missing = missing_for_submission(list(self.indicators), consolidated)
        if missing:
            raise MissingIndicators(missing)
        self._move("submitted", at)
        if assessed_at is not None:
            self.status_at = {**self.status_at, "assessed": assessed_at}
        self.record(self._submitted(consolidated, organisation_name), subject=self.organisation_id)

    def _submitted(
        self, consolidated: dict[str, Consolidated], organisation_name: str | None
    ) -> DiagnosticSubmitted:
        scored = {c: v for c, v in consolidated.items() if v.level is not None}
        return DiagnosticSubmitted(
            diagnostic_id=self.diagnostic_id,
            organisation_id=self.organisation_id,
            account_id=self.account_id,
            profile=OrganisationProfile.model_validate(self.profile),
            model_id=self.model_id,
            model_version=self.model_version,
            scope=self.scope,
            levels={c: v.level for c, v in scored.items() if v.level is not None},
            not_applicable=sorted(c for c, v in consolidated.items() if v.not_applicable),
            divergences=[
                Divergence(indicator=c, levels=sorted(v.levels), spread=v.spread)
                for c, v in consolidated.items()
                if v.divergent
            ],
            submitted_at=self.status_at["submitted"],
            assessed_at=self.status_at.get("assessed"),
            criteria_met={c: sorted(v.criteria_met) for c, v in scored.items() if v.criteria_met},
            assurance=assurance(consolidated),
            organisation_name=organisation_name,
        )

    def withdraw(self, *, at: datetime) -> None:
        """Withdraw a draft or submitted diagnostic and announce it."""
        if self.status not in ("draft", "submitted"):
            raise DiagnosticRuleError(f"A {self.status} diagnostic cannot be withdrawn.")
        self._move("withdrawn", at)
        self.record(
            DiagnosticWithdrawn(
                diagnostic_id=self.diagnostic_id,
                organisation_id=self.organisation_id,
                account_id=self.account_id,
                withdrawn_at=at,
            ),
            subject=self.organisation_id,
        )

    def _move(self, status: DiagnosticStatus, at: datetime) -> None:
        self.status = status
        self.status_at = {**self.status_at, status: at}
