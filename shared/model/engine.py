"""The scoring engine (BRIEF §3), compiled once per model version into lookup tables and matrices."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from itertools import accumulate, pairwise
from operator import getitem

import numpy as np
import numpy.typing as npt

from shared.model.batch import UNSCORED, BatchScores, plan_batch, score_batch
from shared.model.schema import LEVELS, MAX_LEVEL, Indicator, MaturityModel
from shared.model.scorecard import (
    ADVICE_LABELS,
    METHOD,
    NA,
    Action,
    Advice,
    CardDetail,
    Column,
    DiagnosticInput,
    IndicatorResult,
    Key,
    Score,
    Scorecard,
    advice_for,
    method_for,
    priority,
)

__all__ = [
    "ADVICE_LABELS",
    "METHOD",
    "Action",
    "Advice",
    "BatchScores",
    "CompiledModel",
    "DiagnosticInput",
    "IndicatorResult",
    "Score",
    "Scorecard",
    "advice_for",
    "compile_model",
    "priority",
    "score",
]

CACHE_SIZE = 16
MEMO_SIZE = 1024
"""Shared Scores kept per score (overall, each lever, each groupement) of a compiled model."""
_ANSWERS = (0, *LEVELS)
# A card's sums travel packed in one int, so a groupement costs one sum() over a slice. Fields, from
# the lowest bits: Σ coef × level, Σ coef, scored count, Σ target, Σ shortfall, count in scope.
_WEIGHTED, _COEFFICIENTS, _SCORED, _TARGET, _SHORTFALL, _IN_SCOPE = range(6)


def _column(indicator: Indicator, lever: str, groupement: str) -> Column:
    above = [indicator.level(number + 1) for number in _ANSWERS]
    return Column(
        code=indicator.code,
        name=indicator.name,
        lever=lever,
        groupement=groupement,
        coefficient=indicator.coefficient,
        next_criteria=tuple(level.criteria if level else () for level in above),
    )


def _sectors(model: MaturityModel) -> tuple[str, ...]:
    declared = [s.code for s in model.sectors]
    # An unvalidated model may target sectors it does not declare: they keep their targets.
    extra = {code: None for p in model.places() for code in p.indicator.sector_targets}
    return (*declared, *(code for code in extra if code not in declared))


@cache
def _packed_table(coefficient: int, target: int, width: int) -> Mapping[Key, int]:
    """Return an indicator's packed sums per level: they depend on its coefficient and target only."""

    def pack(*fields: int) -> int:
        return sum(value << (index * width) for index, value in enumerate(fields))

    table: dict[Key, int] = {None: 0, NA: pack(0, 0, 0, 0, 0, 1)}
    for level in _ANSWERS:
        table[level] = pack(coefficient * level, coefficient, 1, target, max(0, target - level), 1)
    return table


def _slices(sizes: Iterable[int]) -> tuple[tuple[int, int], ...]:
    return tuple(pairwise(accumulate(sizes, initial=0)))


class CompiledModel:
    """A model version as lookup tables (one diagnostic) and matrices (many at once)."""

    def __init__(self, model: MaturityModel) -> None:
        places = tuple(model.places())
        self.model = model
        self.codes = tuple(p.indicator.code for p in places)
        self.lever_codes = tuple(lever.code for lever in model.levers)
        self.groupement_codes = tuple(g.code for lever in model.levers for g in lever.groupements)
        self.sectors = _sectors(model)
        self.columns = tuple(_column(p.indicator, p.lever, p.groupement) for p in places)
        # Per sector index, each indicator's target; the last row (no or unknown sector) the defaults.
        self.targets = tuple(tuple(p.indicator.target_for(s) for p in places) for s in (*self.sectors, None))
        self._sector_index = {code: index for index, code in enumerate(self.sectors)}
        self._groupement_slices = _slices(len(g.indicators) for lv in model.levers for g in lv.groupements)
        self._lever_slices = _slices(len(lever.groupements) for lever in model.levers)
        self._width = self._field_width()
        self._mask = (1 << self._width) - 1
        self._in_scope = 1 << (_IN_SCOPE * self._width)  # least sums of a groupement with one in scope
        self._low_mask = (1 << (_TARGET * self._width)) - 1  # the fields a Score shows
        self._packed = tuple(self._packed_tables(targets) for targets in self.targets)
        self._ranks = tuple(self._rank_tables(targets) for targets in self.targets)
        self._overall_memo: tuple[dict[int, Score], ...] = ({},)
        self._lever_memos: tuple[dict[int, Score], ...] = tuple({} for _ in self.lever_codes)
        self._groupement_memos: tuple[dict[int, Score], ...] = tuple({} for _ in self.groupement_codes)
        targets = np.array(self.targets, np.float32).reshape(len(self.targets), len(places))
        self._batch = plan_batch(self._weights(model), targets, levers=len(self.lever_codes))

    def _field_width(self) -> int:
        coefficients = [c.coefficient for c in self.columns]
        targets = [t for row in self.targets for t in row]
        # Packed fields and negative rank keys need it; a valid model has coefficients 1–3, targets 0–5.
        if min(coefficients, default=1) < 1 or min(targets, default=0) < 0:
            raise ValueError(f"{self.model.ref}: the engine needs coefficients ≥ 1 and targets ≥ 0")
        largest = max(MAX_LEVEL * max(coefficients, default=0), max(targets, default=0), 1)
        return (max(1, len(self.columns)) * largest).bit_length()

    def _packed_tables(self, targets: tuple[int, ...]) -> tuple[Mapping[Key, int], ...]:
        return tuple(
            _packed_table(column.coefficient, target, self._width)
            for column, target in zip(self.columns, targets, strict=True)
        )

    def _rank_tables(self, targets: tuple[int, ...]) -> tuple[dict[Key, int], ...]:
        # Key −priority × k + position: ascending is the roadmap order (ties in model order); 0 = no action.
        k, tables = len(self.columns), []
        for position, (column, target) in enumerate(zip(self.columns, targets, strict=True)):
            table: dict[Key, int] = {None: 0, NA: 0}
            for level in _ANSWERS:
                gap = target - level
                table[level] = -priority(column.coefficient, gap) * k + position if gap > 0 else 0
            tables.append(table)
        return tuple(tables)

    def _weights(self, model: MaturityModel) -> npt.NDArray[np.float32]:
        """Return (k, 1 + levers + groupements): each indicator's coefficient where it counts."""
        lever_rows = _slices(sum(len(g.indicators) for g in lever.groupements) for lever in model.levers)
        coefficients = np.array([c.coefficient for c in self.columns], np.float32)
        weights = np.zeros(
            (len(self.columns), 1 + len(self.lever_codes) + len(self.groupement_codes)), np.float32
        )
        weights[:, 0] = coefficients
        for index, (start, end) in enumerate((*lever_rows, *self._groupement_slices), start=1):
            weights[start:end, index] = coefficients[start:end]
        return weights

    def sector_index(self, sector: str | None) -> int:
        """Return the row of a sector's targets: len(sectors) for no or an unknown sector (defaults)."""
        return self._sector_index.get(sector or "", len(self.sectors))

    def score(self, diagnostic: DiagnosticInput) -> Scorecard:
        """Score one diagnostic: sums, percent and roadmap order now, per-indicator detail when read."""
        sector, keys = self.sector_index(diagnostic.sector), self._keys(diagnostic)
        try:
            packed = list(map(getitem, self._packed[sector], keys))
            ranked = sorted(filter(None, map(getitem, self._ranks[sector], keys)))
        except (KeyError, TypeError) as exc:
            raise _invalid_levels(keys) from exc
        groupements = [sum(packed[start:end]) for start, end in self._groupement_slices]
        levers = [sum(groupements[start:end]) for start, end in self._lever_slices]
        total = sum(levers)
        return Scorecard(
            model_id=self.model.model_id,
            model_version=self.model.version,
            scope=diagnostic.scope,
            overall=self._scores(self._overall_memo, ("overall",), (total,))[0],
            levers=self._scores(self._lever_memos, self.lever_codes, levers),
            groupements=self._scores(
                self._groupement_memos, self.groupement_codes, groupements, least=self._in_scope
            ),
            percent_to_target=self._percent(total),
            method=method_for(diagnostic.scope),
            _details=CardDetail(self.columns, self.targets[sector], keys, ranked, diagnostic.criteria_met),
        )

    def _keys(self, diagnostic: DiagnosticInput) -> list[Key]:
        keys: list[Key] = [*map(diagnostic.levels.get, self.codes)]
        if diagnostic.not_applicable:
            na = diagnostic.not_applicable
            keys = [NA if code in na else key for code, key in zip(self.codes, keys, strict=True)]
        return keys

    def _scores(
        self, memos: Sequence[dict[int, Score]], codes: Sequence[str], sums: Sequence[int], *, least: int = 0
    ) -> tuple[Score, ...]:
        """Return the Scores of packed sums, leaving out those below `least` (groupements out of scope)."""
        # Scores are immutable values of (weighted, coefficients, count), which repeat from card to card:
        # sharing them saves building 26 frozen dataclasses a card, the engine's largest cost otherwise.
        low, scores = self._low_mask, []
        for memo, code, packed in zip(memos, codes, sums, strict=True):
            if packed < least:
                continue
            key = packed & low
            score = memo.get(key)
            if score is None:
                score = self._score(code, key)
                if len(memo) < MEMO_SIZE:
                    memo[key] = score
            scores.append(score)
        return tuple(scores)

    def _score(self, code: str, packed: int) -> Score:
        mask, width = self._mask, self._width
        weighted, coefficients = packed & mask, (packed >> width) & mask
        mean = weighted / coefficients if coefficients else None
        return Score(code, mean, weighted, coefficients, (packed >> _SCORED * width) & mask)

    def _percent(self, sums: int) -> float:
        mask, width = self._mask, self._width
        target, shortfall = (sums >> _TARGET * width) & mask, (sums >> _SHORTFALL * width) & mask
        return 1 - shortfall / target if target else 1.0

    def levels_matrix(
        self, diagnostics: Sequence[DiagnosticInput]
    ) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.intp]]:
        """Return each diagnostic's levels in column order (−1 leaves the sums) and its sector index."""
        rows = [self._row(diagnostic) for diagnostic in diagnostics]
        levels = np.array(rows, np.int8).reshape(len(rows), len(self.codes))
        return levels, np.array([self.sector_index(d.sector) for d in diagnostics], np.intp)

    def _row(self, diagnostic: DiagnosticInput) -> list[int]:
        keys = self._keys(diagnostic)
        if not _ROW_KEYS.issuperset(keys):
            raise _invalid_levels(keys)
        return [UNSCORED if key is None or isinstance(key, str) else key for key in keys]

    def score_batch(self, levels: npt.ArrayLike, sectors: npt.ArrayLike) -> BatchScores:
        """Score rows of levels in column order (−1 leaves the sums) with their sector indices."""
        return score_batch(self._batch, np.asarray(levels), np.asarray(sectors))


_ROW_KEYS = frozenset({None, NA, *_ANSWERS})


def _invalid_levels(keys: Sequence[Key]) -> ValueError:
    wrong = sorted({repr(key) for key in keys if key is not None and key != NA and key not in _ANSWERS})
    return ValueError(f"a level must be 0–{MAX_LEVEL}, not {', '.join(wrong)}")


_cache: OrderedDict[str, CompiledModel] = OrderedDict()
_cache_lock = threading.Lock()


def compile_model(model: MaturityModel) -> CompiledModel:
    """Return the model compiled, from a small LRU cache keyed by its content hash."""
    key = model.content_hash
    with _cache_lock:
        compiled = _cache.get(key)
        if compiled is not None:
            _cache.move_to_end(key)
            return compiled
    compiled = CompiledModel(model)  # outside the lock: it takes milliseconds
    with _cache_lock:
        compiled = _cache.setdefault(key, compiled)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return compiled


def score(model: MaturityModel, diagnostic: DiagnosticInput) -> Scorecard:
    """Score a diagnostic against the model version it pinned."""
    return compile_model(model).score(diagnostic)
