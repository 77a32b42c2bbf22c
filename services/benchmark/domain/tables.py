"""Every cohort's histograms and statistics of one kind of figure, built as arrays in a few numpy passes.

Each row falls in one finest cell (assurance × sector × size band × region); one bincount per
figure over `cell × bins + bin` gives the finest histograms, accumulated over the bins; the grid's
margins sum those cumulative counts into every coarser cohort, and the statistics of all the
published cohorts are read at once from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from services.benchmark.domain.cohorts import CohortGrid
from services.benchmark.domain.statistics import (
    DECILES,
    LEVEL_BINS,
    QUARTILES,
    SCORE_BINS,
    FloatArray,
    Kind,
    band_count,
    score_bins,
    summarise,
)

PROBABILITIES = tuple(sorted({*QUARTILES, *DECILES}))
"""The quantiles kept per figure, ascending: the deciles and the quartiles (the median once)."""
QUARTILE_COLUMNS = tuple(PROBABILITIES.index(p) for p in QUARTILES)
DECILE_COLUMNS = tuple(PROBABILITIES.index(p) for p in DECILES)
# Rows per block of the transposition: a block of the matrix and of its transpose stay in cache.
_BLOCK = 8192
CumulativeArray = npt.NDArray[np.int32]
_G = TypeVar("_G", bound=np.generic)
CellArray = npt.NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class FigureTable:
    """One kind of figure: counts for every cohort of the grid, statistics for the published ones."""

    kind: Kind
    figures: tuple[str, ...]
    grid_counts: npt.NDArray[np.int64]
    """(figures, grid cells): organisations with a value, in every cohort (what disclosure weighs)."""
    cumulative: CumulativeArray
    """(figures, columns, bins): exact cumulative counts per bin of the published cohorts."""
    counts: npt.NDArray[np.int64]
    """(figures, columns): organisations with a value."""
    means: FloatArray
    quantiles: FloatArray
    """(figures, columns, PROBABILITIES): type 7 quantiles at bin precision."""
    bands: FloatArray
    """(figures, columns, bands): shares per score band or per level."""


def _columns(matrix: npt.NDArray[_G]) -> npt.NDArray[_G]:
    """Return the transpose of a (rows, columns) matrix, contiguous, so a figure's values are adjacent."""
    columns = np.empty(matrix.shape[::-1], matrix.dtype)
    # numpy transposes a whole large matrix far slower than it copies cache-sized blocks.
    for start in range(0, len(matrix), _BLOCK):
        columns[:, start : start + _BLOCK] = matrix[start : start + _BLOCK].T
    return columns


def _summarised(
    kind: Kind,
    figures: tuple[str, ...],
    grid_counts: npt.NDArray[np.int64],
    cumulative: CumulativeArray,
    sums: FloatArray,
) -> FigureTable:
    """Return the table of cumulative counts (figures, columns, bins) and the exact sums of their values."""
    shape = cumulative.shape[:2]
    summaries = summarise(cumulative.reshape(-1, cumulative.shape[2]), sums.reshape(-1), PROBABILITIES, kind)
    return FigureTable(
        kind=kind,
        figures=figures,
        grid_counts=grid_counts,
        cumulative=cumulative,
        counts=summaries.counts.reshape(shape),
        means=summaries.means.reshape(shape),
        quantiles=summaries.quantiles.reshape(*shape, len(PROBABILITIES)),
        bands=summaries.bands.reshape(*shape, band_count(kind)),
    )


def score_table(
    scores: npt.NDArray[np.float64],
    cells: CellArray,
    grid: CohortGrid,
    columns: CellArray,
    figures: tuple[str, ...],
) -> FigureTable:
    """Return the score figures of the cohorts in `columns` (grid cells) from rows' scores and cells."""
    finest = int(np.prod(grid.finest_shape))
    slot = SCORE_BINS + 1  # the extra slot holds the NaNs (not counted)
    grid_counts = np.empty((len(figures), grid.size), np.int64)
    cumulative = np.empty((len(figures), len(columns), SCORE_BINS), np.int32)
    # int32 halves the memory of every pass: a cohort holds fewer than 2³¹ organisations.
    buffer = np.empty((*grid.shape, SCORE_BINS), np.int32)
    offsets, by_figure = cells * slot, _columns(scores)
    for figure, values in enumerate(by_figure):
        counted = np.bincount(score_bins(values) + offsets, minlength=finest * slot)
        # Cumulative counts are additive like counts: accumulate the finest cells, then the margins.
        np.cumsum(
            counted.reshape(*grid.finest_shape, slot)[..., :SCORE_BINS], axis=-1, out=grid.finest(buffer)
        )
        grid.fill_margins(buffer)
        flat = buffer.reshape(-1, SCORE_BINS)
        grid_counts[figure] = flat[:, -1]
        # mode="clip" lets take write straight into the table (with "raise" it buffers a copy).
        np.take(flat, columns, axis=0, out=cumulative[figure], mode="clip")
    return _summarised("score", figures, grid_counts, cumulative, _sums(by_figure, cells, grid, columns))


def _sums(
    by_figure: npt.NDArray[np.float64], cells: CellArray, grid: CohortGrid, columns: CellArray
) -> FloatArray:
    """Return (figures, columns): the sum of each figure's unrounded values, the means' exact basis."""
    finest = int(np.prod(grid.finest_shape))
    totals = [np.bincount(cells, weights=np.nan_to_num(values), minlength=finest) for values in by_figure]
    per_cell = np.array(totals, np.float64).reshape(len(by_figure), *grid.finest_shape)
    extended = grid.with_margins(np.moveaxis(per_cell, 0, -1))
    return np.ascontiguousarray(extended.reshape(grid.size, len(by_figure))[columns].T)


def level_table(
    levels: npt.NDArray[np.int8],
    cells: CellArray,
    grid: CohortGrid,
    columns: CellArray,
    figures: tuple[str, ...],
) -> FigureTable:
    """Return the indicator figures of the cohorts in `columns` (grid cells) from rows' levels and cells."""
    finest = int(np.prod(grid.finest_shape))
    slot = LEVEL_BINS + 1  # slot 0 holds the −1 levels (not counted)
    counted = np.empty((finest, len(figures), slot), np.int32)
    offsets = cells * slot + 1
    for figure, values in enumerate(_columns(levels)):
        counted[:, figure] = np.bincount(offsets + values, minlength=finest * slot).reshape(finest, slot)
    accumulated = np.cumsum(counted[:, :, 1:], axis=-1, dtype=np.int32)
    extended = grid.with_margins(accumulated.reshape(*grid.finest_shape, len(figures), LEVEL_BINS))
    flat = extended.reshape(grid.size, len(figures), LEVEL_BINS)
    cumulative = np.ascontiguousarray(flat[columns].swapaxes(0, 1))
    # Levels are whole numbers, so their sum is exact from the counts: Σ level × count = Σ_{t<5} (n − C_t).
    n = cumulative[..., -1].astype(np.float64)
    sums = (LEVEL_BINS - 1) * n - cumulative[..., :-1].sum(axis=-1, dtype=np.float64)
    return _summarised(
        "level", figures, np.ascontiguousarray(flat[..., -1].T).astype(np.int64), cumulative, sums
    )
