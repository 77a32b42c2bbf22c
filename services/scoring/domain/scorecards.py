"""A scored diagnostic: what went in, its headline figures, the event it announces, progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.aggregate import Aggregate
from shared.events.contracts.assessment import Assurance, DiagnosticSubmitted, OrganisationProfile
from shared.events.contracts.scoring import (
    DiagnosticScored,
    IndicatorScore,
    RoadmapCriterion,
    RoadmapStep,
)
from shared.model.engine import DiagnosticInput, Scorecard, score
from shared.model.schema import MaturityModel


@dataclass
class ScoredDiagnostic(Aggregate):
    """A scored diagnostic: its inputs (to compute the full card again) and the headline figures."""

    diagnostic_id: str
    account_id: str
    organisation_id: str
    profile: dict[str, str]
    model_id: str
    model_version: str
    scope: str
    levels: dict[str, int]
    not_applicable: tuple[str, ...]
    divergences: tuple[dict[str, Any], ...]
    submitted_at: datetime
    scored_at: datetime
    assessed_at: datetime
    overall: float | None
    levers: dict[str, float | None] = field(default_factory=dict)
    percent_to_target: float = 0.0
    criteria_met: dict[str, tuple[str, ...]] = field(default_factory=dict)
    assurance: Assurance = "self_assessed"
    organisation_name: str | None = None

    @classmethod
    def score(cls, event: DiagnosticSubmitted, model: MaturityModel, *, at: datetime) -> ScoredDiagnostic:
        """Score a submitted diagnostic against the model version it pinned, and announce it."""
        scored = cls(
            diagnostic_id=event.diagnostic_id,
            account_id=event.account_id,
            organisation_id=event.organisation_id,
            profile=event.profile.model_dump(),
            model_id=event.model_id,
            model_version=event.model_version,
            scope=event.scope,
            levels=dict(event.levels),
            not_applicable=tuple(event.not_applicable),
            divergences=tuple(d.model_dump() for d in event.divergences),
            submitted_at=event.submitted_at,
            scored_at=at,
            assessed_at=event.assessed_at or event.submitted_at,
            overall=None,
            criteria_met={code: tuple(met) for code, met in event.criteria_met.items()},
            assurance=event.assurance,
            organisation_name=event.organisation_name,
        )
        card = score(model, scored.input())
        scored.overall = card.overall.score
        scored.levers = {s.code: s.score for s in card.levers}
        scored.percent_to_target = card.percent_to_target
        scored.record(scored.announcement(card), subject=scored.organisation_id)
        return scored

    def input(self, levels: dict[str, int] | None = None) -> DiagnosticInput:
        """Return the engine's input (optionally with some levels changed, for a what-if)."""
        return DiagnosticInput(
            sector=self.profile.get("sector"),
            scope=self.scope,
            levels={**self.levels, **(levels or {})},
            not_applicable=frozenset(self.not_applicable),
            criteria_met={code: frozenset(met) for code, met in self.criteria_met.items()},
        )

    def announcement(self, card: Scorecard) -> DiagnosticScored:
        """Return the public scored event of this scorecard."""
        return DiagnosticScored(
            diagnostic_id=self.diagnostic_id,
            organisation_id=self.organisation_id,
            account_id=self.account_id,
            profile=OrganisationProfile.model_validate(self.profile),
            model_id=self.model_id,
            model_version=self.model_version,
            scope=self.scope,
            overall=card.overall.score,
            levers={s.code: s.score for s in card.levers},
            groupements={s.code: s.score for s in card.groupements},
            indicators=[
                IndicatorScore(
                    code=i.code,
                    lever=i.lever,
                    groupement=i.groupement,
                    level=i.level,
                    not_applicable=i.not_applicable,
                    target=i.target,
                    gap=i.gap,
                )
                for i in card.indicators
            ],
            percent_to_target=card.percent_to_target,
            submitted_at=self.submitted_at,
            scored_at=self.scored_at,
            roadmap=[
                RoadmapStep(
                    code=a.code,
                    level=a.level,
                    next_level=a.next_level,
                    target=a.target,
                    gap=a.gap,
                    priority=a.priority,
                    criteria=[RoadmapCriterion(id=c.id, text=c.text) for c in a.criteria],
                )
                for a in card.roadmap
            ],
            assurance=self.assurance,
        )


@dataclass(frozen=True)
class Progress:
    """Change since the previous scored diagnostic of the same organisation."""

    previous_diagnostic_id: str
    previous_assessed_at: datetime
    overall: float | None
    levers: dict[str, float | None]


def _delta(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def progress(current: ScoredDiagnostic, previous: ScoredDiagnostic | None) -> Progress | None:
    """Return the deltas per lever and overall, or None for a first diagnostic."""
    if previous is None:
        return None
    return Progress(
        previous_diagnostic_id=previous.diagnostic_id,
        previous_assessed_at=previous.assessed_at,
        overall=_delta(current.overall, previous.overall),
        levers={code: _delta(score, previous.levers.get(code)) for code, score in current.levers.items()},
    )
