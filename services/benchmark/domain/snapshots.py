"""Benchmark snapshots: every cohort's disclosed figures, built as arrays, read as objects on demand."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from services.benchmark.domain.cohorts import CohortGrid, CohortKey
from services.benchmark.domain.disclosure import check_min_cohort_size, decile_threshold, withheld
from services.benchmark.domain.figures import FigureLayout, kind_of
from services.benchmark.domain.population import Contribution, Population
from services.benchmark.domain.statistics import (
    Histograms,
    SparseHistogram,
    percentile_rank,
    sparse_of_cumulative,
)
from services.benchmark.domain.tables import (
    DECILE_COLUMNS,
    QUARTILE_COLUMNS,
    FigureTable,
    level_table,
    score_table,
)

__all__ = [
    "CohortStats",
    "Contribution",
    "FigureStats",
    "Population",
    "Snapshot",
    "build_snapshot",
]


@dataclass(frozen=True)
class FigureStats:
    """One figure of a shown cohort: no minimum, maximum or single organisation's value."""

    figure: str
    organisations: int
    mean: float
    quartiles: tuple[float, float, float]
    deciles: tuple[float, ...] | None
    """Only from `disclosure.decile_threshold(k)` values."""
    bands: tuple[float, ...]
    """Shares (0–1) per score band [0,1) [1,2) [2,3) [3,4) [4,5], or per level 0…5."""


@dataclass(frozen=True)
class CohortStats:
    """A cohort of a snapshot; a withheld one carries no count, figure or histogram."""

    key: CohortKey
    organisations: int | None
    withheld: bool
    carried_over: int | None
    figures: Mapping[str, FigureStats]
    """The shown figures, in layout order."""
    histograms: Histograms
    """The shown figures' histograms, for percentile ranks and storage."""


@dataclass(frozen=True, eq=False)
class _Arrays:
    """What build_snapshot computed: counts per present cohort, tables per published one."""

    grid: CohortGrid
    cells: npt.NDArray[np.intp]
    """The grid cell of each present (non-empty) cohort, ascending."""
    organisations: npt.NDArray[np.int64]
    carried_over: npt.NDArray[np.int64]
    columns: npt.NDArray[np.intp]
    """Each present cohort's column in the tables, −1 when it is withheld."""
    tables: tuple[FigureTable, ...]
    shown: tuple[npt.NDArray[np.bool_], ...]
    """Per table, (figures, columns): the figures a published cohort shows."""
    with_deciles: tuple[npt.NDArray[np.bool_], ...]


class _Cohorts(Mapping[CohortKey, CohortStats]):
    """The cohorts of a snapshot, each made into CohortStats when first read."""

    def __init__(self, arrays: _Arrays) -> None:
        self._arrays = arrays
        self._made: dict[int, CohortStats] = {}

    @cached_property
    def _keys(self) -> tuple[CohortKey, ...]:
        keys = (self._arrays.grid.key(int(cell)) for cell in self._arrays.cells)
        return tuple(sorted(keys, key=lambda key: key.sort_key))

    def __getitem__(self, key: CohortKey) -> CohortStats:
        index = self._index(key)
        if index is None:
            raise KeyError(key)
        stats = self._made.get(index)
        if stats is None:
            stats = self._made.setdefault(index, _cohort_stats(self._arrays, index, key))
        return stats

    def _index(self, key: CohortKey) -> int | None:
        cell = self._arrays.grid.cell(key)
        cells = self._arrays.cells
        index = int(np.searchsorted(cells, cell)) if cell is not None else len(cells)
        return index if index < len(cells) and cells[index] == cell else None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, CohortKey) and self._index(key) is not None

    def __iter__(self) -> Iterator[CohortKey]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._arrays.cells)


def _cohort_stats(arrays: _Arrays, index: int, key: CohortKey) -> CohortStats:
    """Return the CohortStats of one present cohort from the snapshot's arrays."""
    column = int(arrays.columns[index])
    if column < 0:
        return CohortStats(key, None, True, None, {}, _Histograms({}))
    parts: list[_Part] = []
    cumulative: dict[str, npt.NDArray[np.int32]] = {}
    for table, shown, deciles in zip(arrays.tables, arrays.shown, arrays.with_deciles, strict=True):
        rows = np.flatnonzero(shown[:, column])
        parts.append((table, rows, column, deciles[rows, column]))
        cumulative |= {table.figures[row]: table.cumulative[row, column] for row in rows.tolist()}
    organisations, carried = int(arrays.organisations[index]), int(arrays.carried_over[index])
    return CohortStats(key, organisations, False, carried, _Figures(parts), _Histograms(cumulative))


_Part = tuple[FigureTable, npt.NDArray[np.intp], int, npt.NDArray[np.bool_]]
"""Some figures of one cohort: their table, rows in it, the cohort's column, whether deciles show."""


class _Figures(Mapping[str, FigureStats]):
    """A cohort's FigureStats, made a table at a time (scores, indicators) when first read."""

    def __init__(self, parts: list[_Part]) -> None:
        self._parts = parts
        self._part = {
            table.figures[row]: i for i, (table, rows, _, _) in enumerate(parts) for row in rows.tolist()
        }
        self._made: dict[str, FigureStats] = {}

    def __getitem__(self, figure: str) -> FigureStats:
        made = self._made.get(figure)
        if made is None:
            # An event carries the scores only: their 26 figures are made without the 115 indicators.
            self._made |= _figure_stats(*self._parts[self._part[figure]])
            made = self._made[figure]
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self._part)

    def __len__(self) -> int:
        return len(self._part)


def _figure_stats(
    table: FigureTable, rows: npt.NDArray[np.intp], column: int, deciles: npt.NDArray[np.bool_]
) -> dict[str, FigureStats]:
    """Return the FigureStats of some figures of one cohort."""
    quantiles = table.quantiles[rows, column]
    # One tolist per field: reading numpy scalars one by one would cost more than the whole build.
    fields = zip(
        rows.tolist(),
        table.counts[rows, column].tolist(),
        table.means[rows, column].tolist(),
        quantiles[:, QUARTILE_COLUMNS].tolist(),
        quantiles[:, DECILE_COLUMNS].tolist(),
        deciles.tolist(),
        table.bands[rows, column].tolist(),
        strict=True,
    )
    return {
        table.figures[row]: FigureStats(
            table.figures[row], count, mean, (q[0], q[1], q[2]), tuple(d) if decile else None, tuple(bands)
        )
        for row, count, mean, q, d, decile, bands in fields
    }


class _Histograms(Histograms):
    """A cohort's sparse histograms, each made from its cumulative counts when first read."""

    def __init__(self, cumulative: dict[str, npt.NDArray[np.int32]]) -> None:
        self._cumulative = cumulative
        self._made: dict[str, SparseHistogram] = {}

    def __getitem__(self, figure: str) -> SparseHistogram:
        made = self._made.get(figure)
        if made is None:
            made = self._made.setdefault(figure, sparse_of_cumulative(self._cumulative[figure]))
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self._cumulative)

    def __len__(self) -> int:
        return len(self._cumulative)

    def counts(self, figure: str) -> npt.NDArray[np.int64]:
        """Return a figure's dense counts."""
        return np.diff(self._cumulative[figure], prepend=0).astype(np.int64)


@dataclass(frozen=True)
class Snapshot:
    """A scheduled benchmark snapshot: every non-empty cohort, shown or withheld."""

    min_cohort_size: int
    organisations: int
    cohorts: Mapping[CohortKey, CohortStats]

    def percentile_rank(self, key: CohortKey, figure: str, value: float) -> float | None:
        """Return a value's mid-rank percentile in a cohort's figure; None when withheld or unknown.

        A value outside 0–5 (or a fractional level) is refused with ValueError.
        """
        cohort = self.cohorts.get(key)
        histogram = cohort.histograms.get(figure) if cohort is not None else None
        return None if histogram is None else percentile_rank(histogram, value, kind_of(figure))


def build_snapshot(population: Population, layout: FigureLayout, *, min_cohort_size: int) -> Snapshot:
    """Return the snapshot of a population: every non-empty cohort, with disclosure control applied."""
    k = check_min_cohort_size(min_cohort_size)
    population.check_layout(layout)
    grid, cells = population.grid, population.finest_cells()
    counts, carried = _grid_counts(grid, cells), _grid_counts(grid, cells[population.carried_over])
    present, hidden = np.flatnonzero(counts), withheld(counts, k)
    published = np.flatnonzero((counts > 0) & ~hidden)
    tables = (
        score_table(population.scores, cells, grid, published, layout.score_figures),
        level_table(population.levels, cells, grid, published, layout.indicator_figures),
    )
    shown = tuple(_shown(table, grid, published, hidden, k) for table in tables)
    columns = np.full(len(present), -1, np.intp)
    columns[~hidden.ravel()[present]] = np.arange(len(published))
    arrays = _Arrays(
        grid=grid,
        cells=present,
        organisations=counts.ravel()[present],
        carried_over=carried.ravel()[present],
        columns=columns,
        tables=tables,
        shown=shown,
        with_deciles=tuple(s & (t.counts >= decile_threshold(k)) for s, t in zip(shown, tables, strict=True)),
    )
    return Snapshot(min_cohort_size=k, organisations=len(population), cohorts=_Cohorts(arrays))


def _grid_counts(grid: CohortGrid, cells: npt.NDArray[np.intp]) -> npt.NDArray[np.int64]:
    """Return how many rows fall in each cohort of the grid."""
    finest = np.bincount(cells, minlength=int(np.prod(grid.finest_shape)))
    return grid.with_margins(finest.reshape(grid.finest_shape))


def _shown(
    table: FigureTable,
    grid: CohortGrid,
    published: npt.NDArray[np.intp],
    hidden: npt.NDArray[np.bool_],
    k: int,
) -> npt.NDArray[np.bool_]:
    """Return (figures, columns): the figures each published cohort may show."""
    counts = table.grid_counts.reshape(len(table.figures), *grid.shape)
    figure_hidden = withheld(counts, k, already=np.broadcast_to(hidden, counts.shape))
    return np.asarray((table.counts > 0) & ~figure_hidden.reshape(len(table.figures), -1)[:, published])
