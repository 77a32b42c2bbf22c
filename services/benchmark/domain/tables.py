"""Every cohort's histograms and statistics of one kind of figure, built as arrays in a few numpy passes.

Each row falls in one finest cell (assurance × sector × size band × region); one bincount per
figure over `cell × bins + bin` gives the finest histograms, the grid's margins sum them into every
coarser cohort, and the statistics of all cohorts of a figure are read at once from them.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    bins_of,
    score_bins,
    summarise,
)

PROBABILITIES = tuple(sorted({*QUARTILES, *DECILES}))
"""The quantiles kept per figure, ascending: the deciles and the quartiles (the median once)."""
QUARTILE_COLUMNS = tuple(PROBABILITIES.index(p) for p in QUARTILES)
DECILE_COLUMNS = tuple(PROBABILITIES.index(p) for p in DECILES)
# Rows per block of the transposition: a block of the matrix and of its transpose stay in cache.
_BLOCK = 8192
HistogramArray = npt.NDArray[np.int32]
CellArray = npt.NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class FigureTable:
    """The statistics of one kind of figure for every present cohort, as arrays (figure, cohort, …)."""

    kind: Kind
    figures: tuple[str, ...]
    histograms: HistogramArray
    """(figures, cohorts, bins): exact counts per bin."""
    counts: npt.NDArray[np.int64]
    """(figures, cohorts): organisations with a value."""
    means: FloatArray
    quantiles: FloatArray
    """(figures, cohorts, PROBABILITIES): type 7 quantiles at bin precision."""
    bands: FloatArray
    """(figures, cohorts, bands): shares per score band or per level."""


def _columns(matrix: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    """Return the transpose of a (rows, columns) matrix, contiguous, so a figure's values are adjacent."""
    columns = np.empty(matrix.shape[::-1], matrix.dtype)
    # numpy transposes a whole large matrix far slower than it copies cache-sized blocks.
    for start in range(0, len(matrix), _BLOCK):
        columns[:, start : start + _BLOCK] = matrix[start : start + _BLOCK].T
    return columns


def _allocated(kind: Kind, figures: tuple[str, ...], cohorts: int) -> FigureTable:
    """Return a table of empty histograms for the cohorts, its statistics still to fill."""
    shape = (len(figures), cohorts)
    return FigureTable(
        kind=kind,
        figures=figures,
        histograms=np.zeros((*shape, bins_of(kind)), np.int32),
        counts=np.zeros(shape, np.int64),
        means=np.full(shape, np.nan),
        quantiles=np.full((*shape, len(PROBABILITIES)), np.nan),
        bands=np.full((*shape, band_count(kind)), np.nan),
    )


def _summarise(table: FigureTable, sums: FloatArray) -> None:
    """Fill the table's statistics from its histograms and the exact sums of their values."""
    figures, cohorts, width = table.histograms.shape
    summaries = summarise(table.histograms.reshape(-1, width), sums.reshape(-1), PROBABILITIES, table.kind)
    table.counts[:] = summaries.counts.reshape(figures, cohorts)
    table.means[:] = summaries.means.reshape(figures, cohorts)
    table.quantiles[:] = summaries.quantiles.reshape(figures, cohorts, len(PROBABILITIES))
    table.bands[:] = summaries.bands.reshape(table.bands.shape)


def score_table(
    scores: npt.NDArray[np.float64],
    cells: CellArray,
    grid: CohortGrid,
    present: CellArray,
    figures: tuple[str, ...],
) -> FigureTable:
    """Return the score figures of every present cohort from each row's scores and finest cell."""
    finest = int(np.prod(grid.finest_shape))
    slot = SCORE_BINS + 1  # the extra slot holds the NaNs (not counted)
    table = _allocated("score", figures, len(present))
    sums = np.empty((len(figures), len(present)), np.float64)
    buffer = np.empty((*grid.shape, SCORE_BINS), np.int32)
    offsets = cells * slot
    for figure, values in enumerate(_columns(scores)):
        counted = np.bincount(score_bins(values) + offsets, minlength=finest * slot)
        grid.with_margins(counted.reshape(*grid.finest_shape, slot)[..., :SCORE_BINS], out=buffer)
        # mode="clip" lets take write straight into the table (with "raise" it buffers a copy).
        np.take(buffer.reshape(-1, SCORE_BINS), present, axis=0, out=table.histograms[figure], mode="clip")
        # The mean comes from the unrounded values: their sum beside the histogram.
        total = np.bincount(cells, weights=np.nan_to_num(values), minlength=finest)
        sums[figure] = grid.with_margins(total.reshape(grid.finest_shape)).ravel()[present]
    _summarise(table, sums)
    return table


def level_table(
    levels: npt.NDArray[np.int8],
    cells: CellArray,
    grid: CohortGrid,
    present: CellArray,
    figures: tuple[str, ...],
) -> FigureTable:
    """Return the indicator figures of every present cohort from each row's levels and finest cell."""
    finest = int(np.prod(grid.finest_shape))
    slot = LEVEL_BINS + 1  # slot 0 holds the −1 levels (not counted)
    counted = np.empty((finest, len(figures), slot), np.int32)
    offsets = cells * slot + 1
    for figure, values in enumerate(_columns(levels)):
        counted[:, figure] = np.bincount(offsets + values, minlength=finest * slot).reshape(finest, slot)
    extended = grid.with_margins(counted[:, :, 1:].reshape(*grid.finest_shape, len(figures), LEVEL_BINS))
    table = _allocated("level", figures, len(present))
    table.histograms[:] = extended.reshape(-1, len(figures), LEVEL_BINS)[present].swapaxes(0, 1)
    # Levels are whole numbers: their histogram holds their exact sum.
    sums = (table.histograms * np.arange(LEVEL_BINS)).sum(axis=-1, dtype=np.float64)
    _summarise(table, sums)
    return table
