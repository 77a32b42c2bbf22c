"""HTTP bodies of diagnostics, respondents and answers (never reused as events)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from services.assessment.domain.answers import Evidence, Given, StoredAnswer
from services.assessment.domain.consolidation import assurance, completeness
from services.assessment.domain.diagnostics import Diagnostic, Respondent
from shared.events.contracts.assessment import Assurance

Text = Annotated[str, Field(max_length=5000)]
# Strict: "3", 3.0 or true are refused with a 422 rather than read as a level.
Level = Annotated[StrictInt, Field(ge=0, le=5)]
_URL: TypeAdapter[AnyHttpUrl] = TypeAdapter(AnyHttpUrl)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiagnosticCreate(_Body):
    """What to assess against: a model version and a scope."""

    model_id: str = Field("dimm", max_length=64)
    model_version: str = Field("latest", max_length=64, description="A semantic version, or `latest`.")
    scope: str = Field(
        "full", max_length=64, description="`full`, or the code of one of the model's profiles."
    )


class RespondentCreate(_Body):
    """Someone to invite."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Annotated[
        str, Field(min_length=1, max_length=100, description="e.g. direction, marketing, RH, DSI")
    ]


class RespondentView(BaseModel):
    """A respondent."""

    respondent_id: str
    name: str
    role: str
    invited_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, respondent: Respondent) -> RespondentView:
        """Present a respondent."""
        return cls(**respondent.__dict__)


class RespondentInvitation(BaseModel):
    """A new respondent and the token that lets them answer this diagnostic only."""

    respondent: RespondentView
    token: str


class EvidenceBody(_Body):
    """A link or a note backing an answer, optionally tied to one criterion."""

    kind: Literal["url", "note"]
    value: Annotated[str, Field(min_length=1, max_length=2000)]
    criterion_id: str | None = Field(None, max_length=32)

    @model_validator(mode="after")
    def _url_is_a_url(self) -> EvidenceBody:
        if self.kind == "url":
            try:
                _URL.validate_python(self.value)
            except ValidationError as exc:
                raise ValueError("an evidence of kind url needs an http(s) URL") from exc
        return self

    def to_domain(self) -> Evidence:
        """Return the domain value."""
        return Evidence(self.kind, self.value, self.criterion_id)


def _given(body: AnswerBody | ValidationBody, *, evidence: tuple[Evidence, ...] = ()) -> Given:
    criteria = tuple(body.criteria_met) if body.criteria_met is not None else None
    return Given(body.level, criteria, body.not_applicable, body.comment, evidence)


class AnswerBody(_Body):
    """One of: a level, the criteria met, or N/A; with an optional comment and evidence."""

    level: Level | None = None
    criteria_met: list[Annotated[str, Field(max_length=32)]] | None = Field(None, max_length=100)
    not_applicable: StrictBool = False
    comment: Text = ""
    evidence: list[EvidenceBody] = Field(default_factory=list, max_length=50)

    def to_given(self) -> Given:
        """Return what the respondent says, as the domain reads it."""
        return _given(self, evidence=tuple(e.to_domain() for e in self.evidence))


class AnswerView(BaseModel):
    """A respondent's answer."""

    respondent_id: str
    indicator: str
    level: int | None
    not_applicable: bool
    criteria_met: list[str]
    comment: str
    evidence: list[EvidenceBody]
    updated_at: datetime

    @classmethod
    def of(cls, stored: StoredAnswer) -> AnswerView:
        """Present a stored answer."""
        a = stored.answer
        return cls(
            respondent_id=a.respondent_id,
            indicator=a.indicator,
            level=a.level,
            not_applicable=a.not_applicable,
            criteria_met=list(a.criteria_met or ()),
            comment=a.comment,
            updated_at=stored.updated_at,
            evidence=[
                EvidenceBody(kind=e.kind, value=e.value, criterion_id=e.criterion_id) for e in stored.evidence
            ],
        )


class AnswerList(BaseModel):
    """Answers of a diagnostic."""

    answers: list[AnswerView]


class ValidationBody(_Body):
    """The validated level of an indicator (owner or expert): one of a level, the criteria met, or N/A."""

    level: Level | None = None
    criteria_met: list[Annotated[str, Field(max_length=32)]] | None = Field(
        None,
        max_length=100,
        description="The criteria the validator checked; the level follows cumulatively.",
    )
    not_applicable: StrictBool = False
    comment: Text = ""

    def to_given(self) -> Given:
        """Return what the validator says, as the domain reads it."""
        return _given(self)


class SubmitBody(_Body):
    """Optionally, the date the assessment was carried out (an audit recorded afterwards)."""

    assessed_on: date | None = Field(None, description="Defaults to the submission; never in the future.")

    def assessed_at(self) -> datetime | None:
        """Return the assessment date as a UTC instant (midnight)."""
        if self.assessed_on is None:
            return None
        return datetime.combine(self.assessed_on, time(0), tzinfo=UTC)


class IndicatorState(BaseModel):
    """Where one indicator stands."""

    code: str
    lever: str
    groupement: str
    level: int | None
    not_applicable: bool
    source: str
    respondent_levels: list[int]
    divergent: bool
    criteria_met: list[str] = Field(
        default_factory=list,
        description="Criteria ticked by every respondent who answered with criteria, or the validator's.",
    )


class LeverCompleteness(BaseModel):
    """Settled indicators of one lever."""

    settled: int
    applicable: int


class CompletenessView(BaseModel):
    """How far the answering has gone."""

    settled: int
    applicable: int
    ratio: float
    per_lever: dict[str, LeverCompleteness]


class DiagnosticView(BaseModel):
    """A diagnostic: scope, status, respondents, consolidated levels, completeness, divergences."""

    diagnostic_id: str
    organisation_id: str
    model_id: str
    model_version: str
    scope: str
    status: str
    opened_at: datetime
    status_at: dict[str, datetime]
    scoring_error: str | None = Field(None, description="Why scoring gave up, if it did.")
    assurance: Assurance | None = Field(
        None,
        description="Once submitted: `expert_validated` when every settled indicator has a validated "
        "level, else `self_assessed`.",
    )
    profile: dict[str, str]
    respondents: list[RespondentView]
    completeness: CompletenessView
    divergences: list[str]
    indicators: list[IndicatorState]


class DiagnosticSummary(BaseModel):
    """A diagnostic in a list."""

    diagnostic_id: str
    model_id: str
    model_version: str
    scope: str
    status: str
    opened_at: datetime


class DiagnosticList(BaseModel):
    """An organisation's diagnostics."""

    diagnostics: list[DiagnosticSummary]


def diagnostic_view(record: Diagnostic, answers: list[StoredAnswer]) -> DiagnosticView:
    """Present a diagnostic with its consolidation."""
    consolidated = record.consolidate([s.answer for s in answers])
    done = completeness(list(record.indicators), consolidated)
    return DiagnosticView(
        diagnostic_id=record.diagnostic_id,
        organisation_id=record.organisation_id,
        model_id=record.model_id,
        model_version=record.model_version,
        scope=record.scope,
        status=record.status,
        opened_at=record.opened_at,
        status_at=record.status_at,
        scoring_error=record.scoring_error,
        assurance=assurance(consolidated) if "submitted" in record.status_at else None,
        profile=record.profile,
        respondents=[RespondentView.of(r) for r in record.respondents],
        completeness=CompletenessView(
            settled=done.settled,
            applicable=done.applicable,
            ratio=round(done.ratio, 4),
            per_lever={
                lever: LeverCompleteness(settled=s, applicable=t) for lever, (s, t) in done.per_lever.items()
            },
        ),
        divergences=[code for code, c in consolidated.items() if c.divergent],
        indicators=[
            IndicatorState(
                code=i.code,
                lever=i.lever,
                groupement=i.groupement,
                level=consolidated[i.code].level,
                not_applicable=consolidated[i.code].not_applicable,
                source=consolidated[i.code].source,
                respondent_levels=sorted(consolidated[i.code].levels),
                divergent=consolidated[i.code].divergent,
                criteria_met=sorted(consolidated[i.code].criteria_met),
            )
            for i in record.indicators
        ],
    )
