"""What a new model version would change in a diagnostic: scores, advice and roadmap, re-scored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.domain.notices import Notice
from shared.events.contracts.scoring import RoadmapCriterion, RoadmapStep
from shared.events.contracts.watch import (
    AdviceChange,
    LeverImpact,
    OrganisationAffected,
    ProjectedImpact,
    TouchedIndicator,
)
from shared.model.engine import Action, Advice, CompiledModel, DiagnosticInput, Scorecard

ROADMAP_HEAD = 3
CHUNK = 4096
"""Rows per matmul: their float32 copies stay in the CPU cache."""


@dataclass(frozen=True)
class AdviceShift:
    """An answered indicator whose advice category changes (None after: the new version drops it)."""

    code: str
    level: int
    before: Advice
    after: Advice | None
    target_before: int
    target_after: int | None


@dataclass(frozen=True)
class Impact:
    """One diagnostic's scores under its version and under the new one (unrounded, 0–5)."""

    from_version: str
    to_version: str
    overall_before: float | None
    overall_after: float | None
    levers_before: dict[str, float | None]
    levers_after: dict[str, float | None]
    advice_changes: tuple[AdviceShift, ...]
    roadmap_head: tuple[Action, ...]

    def lever_codes(self) -> list[str]:
        """Return the levers of either version: the new one's order, then those it dropped."""
        return [*self.levers_after, *(code for code in self.levers_before if code not in self.levers_after)]


def _input(diagnostic: WatchedDiagnostic) -> DiagnosticInput:
    # Unanswered and N/A indicators, and those the new version adds, leave both sums.
    levels = {code: level for code, level in diagnostic.levels.items() if level is not None}
    return DiagnosticInput(sector=diagnostic.sector, scope=diagnostic.scope or "full", levels=levels)


def _advice_changes(before: Scorecard, after: Scorecard) -> tuple[AdviceShift, ...]:
    now = {result.code: result for result in after.indicators}
    shifts = []
    for result in before.indicators:
        if result.level is None or result.advice is None:
            continue
        later = now.get(result.code)
        advice = later.advice if later is not None else None
        if advice != result.advice:
            target = later.target if later is not None else None
            shifts.append(
                AdviceShift(result.code, result.level, result.advice, advice, result.target, target)
            )
    return tuple(shifts)


def project_impact(
    diagnostic: WatchedDiagnostic, *, old: CompiledModel, new: CompiledModel, head: int = ROADMAP_HEAD
) -> Impact:
    """Re-score a diagnostic under the new version with the shared engine and compare."""
    diagnostic_input = _input(diagnostic)
    before, after = old.score(diagnostic_input), new.score(diagnostic_input)
    return Impact(
        from_version=old.model.version,
        to_version=new.model.version,
        overall_before=before.overall.score,
        overall_after=after.overall.score,
        levers_before={score.code: score.score for score in before.levers},
        levers_after={score.code: score.score for score in after.levers},
        advice_changes=_advice_changes(before, after),
        roadmap_head=after.roadmap[:head],
    )


def _step(action: Action) -> RoadmapStep:
    return RoadmapStep(
        code=action.code,
        level=action.level,
        next_level=action.next_level,
        target=action.target,
        gap=action.gap,
        priority=action.priority,
        criteria=[RoadmapCriterion(id=c.id, text=c.text) for c in action.criteria],
    )


def projected(impact: Impact) -> ProjectedImpact:
    """Describe an impact as the affected event carries it."""
    return ProjectedImpact(
        to_version=impact.to_version,
        overall_before=impact.overall_before,
        overall_after=impact.overall_after,
        levers=[
            LeverImpact(code=code, before=impact.levers_before.get(code), after=impact.levers_after.get(code))
            for code in impact.lever_codes()
        ],
        advice_changes=[
            AdviceChange(code=s.code, level=s.level, before=s.before, after=s.after)
            for s in impact.advice_changes
        ],
        roadmap_head=[_step(action) for action in impact.roadmap_head],
    )


def affected_event(
    notice: Notice,
    diagnostic: WatchedDiagnostic,
    *,
    model: CompiledModel | None,
    impact: Impact | None,
    at: datetime,
) -> OrganisationAffected:
    """Tell an organisation's subscribers how a notice touches it (`model` = its diagnostic's version)."""
    touched = []
    for code in notice.touched_codes(diagnostic):
        indicator = model.model.indicator(code) if model is not None else None
        target = indicator.target_for(diagnostic.sector) if indicator is not None else None
        touched.append(TouchedIndicator(code=code, level=diagnostic.levels.get(code), target=target))
    return OrganisationAffected(
        notice_id=notice.id,
        organisation_id=diagnostic.organisation_id,
        diagnostic_id=diagnostic.diagnostic_id,
        model_id=diagnostic.model_id,
        model_version=diagnostic.model_version,
        kind=notice.kind,
        severity=notice.severity,
        indicators=touched,
        impact=None if impact is None else projected(impact),
        deadline=notice.deadline,
        affected_at=at,
    )


@dataclass(frozen=True, eq=False)
class BatchImpact:
    """Scores of n diagnostics before and after, row for row; NaN where no indicator counted."""

    overall_before: npt.NDArray[np.float64]
    overall_after: npt.NDArray[np.float64]
    levers_before: npt.NDArray[np.float64]
    """(n, levers of the old version), in `lever_codes_before` order."""
    levers_after: npt.NDArray[np.float64]
    lever_codes_before: tuple[str, ...]
    lever_codes_after: tuple[str, ...]
    advice_changes: npt.NDArray[np.int16]
    """Per row, how many answered indicators change advice category (or are dropped)."""


def _weights(model: CompiledModel, columns: Sequence[str]) -> npt.NDArray[np.float32]:
    """Return (columns, 1 + levers): the coefficient where each input column counts, 0 if absent."""
    place = {column.code: column for column in model.columns}
    lever_index = {code: index for index, code in enumerate(model.lever_codes, start=1)}
    weights = np.zeros((len(columns), 1 + len(model.lever_codes)), np.float32)
    for row, code in enumerate(columns):
        if (column := place.get(code)) is not None:
            weights[row, 0] = weights[row, lever_index[column.lever]] = column.coefficient
    return weights


def _targets(
    model: CompiledModel, columns: Sequence[str], sectors: Sequence[str | None]
) -> npt.NDArray[np.int16]:
    """Return (sectors, columns): each column's target per sector, −1 where the model lacks it."""
    index = {code: i for i, code in enumerate(model.codes)}
    rows = [model.targets[model.sector_index(sector)] for sector in sectors]
    return np.array(
        [[row[index[code]] if code in index else -1 for code in columns] for row in rows], np.int16
    ).reshape(len(sectors), len(columns))


def _advice(gap: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    """Code advice_for(gap) as 0 strength, 1 attention, 2 improve."""
    return np.clip(gap, 0, 2)


def _advice_changes_batch(
    levels: npt.NDArray[np.int8],
    sectors: npt.NDArray[np.intp],
    before: npt.NDArray[np.int16],
    after: npt.NDArray[np.int16],
) -> npt.NDArray[np.int16]:
    counts = np.zeros(len(levels), np.int16)
    # Only columns whose target differs for some sector (or that the new version drops) can change.
    for column in np.flatnonzero((before != after).any(axis=0) & (before >= 0).all(axis=0)):
        level = levels[:, column].astype(np.int16)
        answered = level >= 0
        target_before, target_after = before[sectors, column], after[sectors, column]
        dropped = target_after < 0
        changed = dropped | (_advice(target_before - level) != _advice(target_after - level))
        counts += answered & changed
    return counts


def _means(levels: npt.NDArray[np.int8], weights: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Return Σ coef × level / Σ coef per weight column, both versions in one matmul per chunk."""
    means = np.empty((len(levels), weights.shape[1]), np.float64)
    for start in range(0, len(levels), CHUNK):
        block = levels[start : start + CHUNK]
        # Integer-valued float32 sums below 2^24 are exact, as in the engine's batch scoring.
        weighted = np.maximum(block, 0).astype(np.float32) @ weights
        counted = (block >= 0).astype(np.float32) @ weights
        with np.errstate(invalid="ignore", divide="ignore"):  # 0 / 0 = NaN where nothing counted
            means[start : start + CHUNK] = weighted.astype(np.float64) / counted
    return means


def project_impacts(
    levels: npt.NDArray[np.int8],
    sectors: npt.NDArray[np.intp],
    *,
    old: CompiledModel,
    new: CompiledModel,
    columns: Sequence[str] | None = None,
    sector_codes: Sequence[str | None] | None = None,
) -> BatchImpact:
    """Re-score many diagnostics under both versions in one pass over their int8 levels.

    `levels` has one column per code of `columns` (default: the old version's), negative = leaves the
    sums; `sectors` indexes `sector_codes` (default: the old version's sectors, then None).
    """
    columns = tuple(old.codes if columns is None else columns)
    sector_codes = tuple((*old.sectors, None) if sector_codes is None else sector_codes)
    if levels.ndim != 2 or levels.shape[1] != len(columns) or sectors.shape != (len(levels),):
        raise ValueError(
            f"levels must be (n, {len(columns)}) and sectors (n,), not {levels.shape}, {sectors.shape}"
        )
    weights_old = _weights(old, columns)
    means = _means(levels, np.concatenate([weights_old, _weights(new, columns)], axis=1))
    split = weights_old.shape[1]
    before, after = _targets(old, columns, sector_codes), _targets(new, columns, sector_codes)
    return BatchImpact(
        overall_before=means[:, 0],
        overall_after=means[:, split],
        levers_before=means[:, 1:split],
        levers_after=means[:, split + 1 :],
        lever_codes_before=old.lever_codes,
        lever_codes_after=new.lever_codes,
        advice_changes=_advice_changes_batch(levels, sectors, before, after),
    )
