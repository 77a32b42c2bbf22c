"""Answers: what a respondent says about one indicator, and the rules that settle its level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared.errors import InvalidInput, NotFound
from shared.model.schema import Indicator, MaturityModel

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


@dataclass(frozen=True)
class Questionnaire:
    """What a diagnostic asks, frozen when it opens: answers are checked against it alone."""

    diagnostic_id: str
    account_id: str
    model_id: str
    model_version: str
    codes: frozenset[str]

    def answer(self, respondent_id: str, indicator: Indicator, given: Given, *, at: datetime) -> StoredAnswer:
        """Take an answer on an indicator of the scope, refusing what the model forbids."""
        if indicator.code not in self.codes:
            raise NotFound(f"{indicator.code} is not in this diagnostic's scope.")
        level = settle(indicator, given)
        answer = Answer(
            respondent_id, indicator.code, level, given.not_applicable, given.criteria_met, given.comment
        )
        return StoredAnswer(self.diagnostic_id, self.account_id, answer, given.evidence, at)

    def answers(
        self,
        respondent_id: str,
        model: MaturityModel,
        given: Sequence[tuple[str, Given]],
        *,
        at: datetime,
    ) -> list[StoredAnswer]:
        """Take many answers at once, or refuse them all naming every refused one by its position."""
        if not given:
            raise InvalidInput("Give at least one answer.", errors=[{"path": "answers", "message": "empty"}])
        taken: list[StoredAnswer] = []
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        for position, (code, item) in enumerate(given):
            where = f"answers[{position}]"
            try:
                if code in seen:
                    raise InvalidInput(f"{code} is answered twice.", errors=[_twice(code)])
                seen.add(code)
                taken.append(self._take(respondent_id, model, code, item, at=at))
            except InvalidInput as exc:
                errors += [_within(where, e) for e in exc.errors] or [{"path": where, "message": exc.detail}]
        if errors:
            raise InvalidInput(
                f"{len(errors)} problem(s) in {len(given)} answers: none was stored.", errors=errors
            )
        return taken

    def _take(
        self, respondent_id: str, model: MaturityModel, code: str, given: Given, *, at: datetime
    ) -> StoredAnswer:
        indicator = model.indicator(code) if code in self.codes else None
        if indicator is None:
            raise InvalidInput(
                f"{code} is not in this diagnostic's scope.",
                errors=[{"path": "indicator", "message": f"{code} is not in this diagnostic's scope"}],
            )
        return self.answer(respondent_id, indicator, given, at=at)


def _twice(code: str) -> dict[str, Any]:
    return {"path": "indicator", "message": f"{code} is answered twice in this request"}


def _within(where: str, error: dict[str, Any]) -> dict[str, Any]:
    path = error.get("path")
    return {**error, "path": f"{where}.{path}" if path else where}
