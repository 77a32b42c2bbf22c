"""Answers: what a respondent says about one indicator, and the rules that settle its level."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.errors import InvalidInput
from shared.model.schema import Indicator

EvidenceKind = Literal["url", "note"]


@dataclass(frozen=True)
class Answer:
    """One respondent's answer on one indicator: a level, or N/A.

    `criteria_met` is None when the level was chosen directly, the ticked criteria otherwise.
    """

    respondent_id: str
    indicator: str
    level: int | None
    not_applicable: bool
    criteria_met: tuple[str, ...] | None = None
    comment: str = ""


@dataclass(frozen=True)
class Evidence:
    """A piece of evidence: a link or a note, optionally tied to one criterion."""

    kind: EvidenceKind
    value: str
    criterion_id: str | None = None


@dataclass(frozen=True)
class Given:
    """What a respondent or a validator says about one indicator: one of level, criteria, N/A."""

    level: int | None = None
    criteria_met: tuple[str, ...] | None = None
    not_applicable: bool = False
    comment: str = ""
    evidence: tuple[Evidence, ...] = ()


def settle(indicator: Indicator, given: Given) -> int | None:
    """Return the level a statement gives (cumulative from criteria), refusing what the model forbids."""
    chosen = sum(x is not None for x in (given.level, given.criteria_met)) + int(given.not_applicable)
    if chosen != 1:
        raise InvalidInput("Give exactly one of: level, criteria_met, not_applicable.")
    unknown_evidence = [
        e.criterion_id
        for e in given.evidence
        if e.criterion_id and e.criterion_id not in indicator.criterion_ids
    ]
    if given.not_applicable:
        if not indicator.allows_na:
            raise InvalidInput(
                f"{indicator.code} cannot be declared not applicable.",
                errors=[{"path": "not_applicable", "message": "not allowed for this indicator"}],
            )
        level = None
    elif given.criteria_met is not None:
        unknown = sorted(set(given.criteria_met) - indicator.criterion_ids)
        if unknown:
            raise InvalidInput(
                f"Unknown criteria for {indicator.code}: {', '.join(unknown)}.",
                errors=[{"path": "criteria_met", "message": f"unknown: {unknown}"}],
            )
        level = indicator.level_from_criteria(set(given.criteria_met))
    else:
        level = given.level
    if unknown_evidence:
        raise InvalidInput(
            "Evidence names unknown criteria.",
            errors=[{"path": "evidence", "message": f"unknown: {unknown_evidence}"}],
        )
    return level


@dataclass(frozen=True)
class StoredAnswer:
    """An answer with its evidence, as stored."""

    diagnostic_id: str
    account_id: str
    answer: Answer
    evidence: tuple[Evidence, ...]
    updated_at: datetime
