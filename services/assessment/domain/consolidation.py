"""Consolidation of several respondents' answers: levels, divergence, criteria met, completeness."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from services.assessment.domain.answers import Answer
from shared.events.contracts.assessment import Assurance
from shared.model.schema import MaturityModel

DIVERGENCE_SPREAD = 2


@dataclass(frozen=True)
class ScopedIndicator:
    """An indicator the diagnostic covers, with what consolidation and scoring need of it."""

    code: str
    lever: str
    groupement: str
    allows_na: bool


def applicable_indicators(
    model: MaturityModel, *, size_band: str, organisation_type: str, profile: tuple[str, ...] | None
) -> list[ScopedIndicator]:
    """Freeze the indicators that apply to an organisation (within a profile, if any)."""
    wanted = set(profile) if profile is not None else None
    return [
        ScopedIndicator(p.indicator.code, p.lever, p.groupement, p.indicator.allows_na)
        for p in model.places()
        if p.indicator.applicability.applies_to(size_band, organisation_type)
        and (wanted is None or p.indicator.code in wanted)
    ]


@dataclass(frozen=True)
class Consolidated:
    """The diagnostic's level on one indicator, and the criteria known to be met."""

    indicator: str
    level: int | None
    not_applicable: bool
    source: Literal["validated", "respondents", "none"]
    levels: tuple[int, ...] = ()
    criteria_met: frozenset[str] = frozenset()

    @property
    def settled(self) -> bool:
        """Tell whether the indicator has a level or is declared N/A."""
        return self.not_applicable or self.level is not None

    @property
    def spread(self) -> int:
        """Return the gap between the highest and the lowest respondent levels."""
        return max(self.levels) - min(self.levels) if self.levels else 0

    @property
    def divergent(self) -> bool:
        """Tell whether respondents disagree by two levels or more."""
        return self.spread >= DIVERGENCE_SPREAD


def lower_median(levels: list[int]) -> int:
    """Return the lower median: for an even count, the lower of the two middle values."""
    ordered = sorted(levels)
    return ordered[(len(ordered) - 1) // 2]


def agreed_criteria(answers: Iterable[Answer]) -> frozenset[str]:
    """Return the criteria ticked by every respondent who answered with criteria."""
    ticked = [set(a.criteria_met) for a in answers if a.criteria_met is not None and not a.not_applicable]
    return frozenset(set.intersection(*ticked)) if ticked else frozenset()


@dataclass(frozen=True)
class Validated:
    """What the owner or the expert settled for one indicator."""

    level: int | None
    not_applicable: bool
    criteria_met: tuple[str, ...] | None = None


def consolidate(
    indicator: ScopedIndicator, answers: list[Answer], validated: Validated | None
) -> Consolidated:
    """Consolidate one indicator: a validated level wins; else the lower median of the levels given."""
    levels = tuple(a.level for a in answers if a.level is not None and not a.not_applicable)
    code = indicator.code
    if validated is not None:
        met = frozenset(validated.criteria_met or ())
        return Consolidated(code, validated.level, validated.not_applicable, "validated", levels, met)
    if levels:
        return Consolidated(
            code, lower_median(list(levels)), False, "respondents", levels, agreed_criteria(answers)
        )
    if answers and all(a.not_applicable for a in answers) and indicator.allows_na:
        return Consolidated(code, None, True, "respondents")
    return Consolidated(code, None, False, "none")


@dataclass(frozen=True)
class Completeness:
    """How far the answering has gone, overall and per lever."""

    settled: int
    applicable: int
    per_lever: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """Return settled / applicable (1.0 for an empty scope)."""
        return self.settled / self.applicable if self.applicable else 1.0


def completeness(scope: list[ScopedIndicator], consolidated: dict[str, Consolidated]) -> Completeness:
    """Count the settled indicators, overall and per lever."""
    per_lever: dict[str, tuple[int, int]] = {}
    for item in scope:
        done, total = per_lever.get(item.lever, (0, 0))
        settled = item.code in consolidated and consolidated[item.code].settled
        per_lever[item.lever] = (done + int(settled), total + 1)
    return Completeness(sum(d for d, _ in per_lever.values()), len(scope), per_lever)


def missing_for_submission(scope: list[ScopedIndicator], consolidated: dict[str, Consolidated]) -> list[str]:
    """List the indicators that still need a level or an N/A before submission."""
    return [
        item.code for item in scope if not (item.code in consolidated and consolidated[item.code].settled)
    ]


def assurance(consolidated: Mapping[str, Consolidated]) -> Assurance:
    """Return `expert_validated` when every settled indicator has a validated level, else `self_assessed`."""
    settled = [c for c in consolidated.values() if c.settled]
    validated = bool(settled) and all(c.source == "validated" for c in settled)
    return "expert_validated" if validated else "self_assessed"
