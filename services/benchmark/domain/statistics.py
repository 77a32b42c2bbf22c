"""Exact fixed-bin histograms and what is read from them, vectorised over many histograms at once.

A score (0–5) falls in one of 501 bins of 0.01: its value rounded half up to 2 decimals, the
precision it is shown with. A level (0…5) is its own bin. Histograms are exact and mergeable
(a coarser cohort's histogram is the sum of its parts), and every statistic below is read from
them, so it is exact at bin precision: the same whichever order organisations came in.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt

Kind = Literal["score", "level"]
SCORE_BINS = 501
LEVEL_BINS = 6
SCORE_SCALE = 100
"""Score bins per point: a score's bin is its value × 100, rounded half up."""
QUARTILES = (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4))
DECILES = tuple(Fraction(tenth, 10) for tenth in range(1, 10))
SCORE_BAND_STARTS = (0, 100, 200, 300, 400)
"""First bin of each score band [0,1) [1,2) [2,3) [3,4) [4,5]: 5.00 falls in the last band."""
# A score is Σ coef × level / Σ coef with Σ coef ≤ 345, so one that is not exactly x.xx5 lies at
# least 1e-3 bins from it, while one that is may be stored just below it in binary (2.345 is
# 2.34499…): the tolerance rounds those up and no other.
_HALF_UP = 0.5 + 1e-6
# Histogram cells summarised per block: a block's cumulative counts and temporaries stay in cache.
_BLOCK_CELLS = 1 << 16

SparseHistogram = tuple[tuple[int, int], ...]
"""The non-empty bins of a histogram as (bin, count) pairs in bin order: what storage keeps."""

IntArray = npt.NDArray[np.integer]
FloatArray = npt.NDArray[np.float64]


def bins_of(kind: Kind) -> int:
    """Return the number of bins of a kind of figure."""
    return SCORE_BINS if kind == "score" else LEVEL_BINS


def band_count(kind: Kind) -> int:
    """Return the number of band shares of a kind of figure: 5 score bands, or 6 levels."""
    return len(SCORE_BAND_STARTS) if kind == "score" else LEVEL_BINS


def score_bins(values: npt.ArrayLike) -> npt.NDArray[np.intp]:
    """Return each score's bin (× 100, rounded half up); a NaN (not counted) goes to SCORE_BINS.

    Scores must lie in [0, 5]: the caller checks (Population does).
    """
    scaled = np.asarray(values, np.float64) * SCORE_SCALE + _HALF_UP
    # fmin ignores NaN, so a missing score lands in the slot past the last bin.
    return np.fmin(scaled, SCORE_BINS).astype(np.intp)


def bin_of(value: float, kind: Kind) -> int:
    """Return the bin of one value, refusing a value outside 0–5 or a fractional level."""
    if not 0 <= value <= 5:
        raise ValueError(f"a {kind} lies in 0–5, not {value}")
    if kind == "level":
        if value != int(value):
            raise ValueError(f"a level is an integer, not {value}")
        return int(value)
    return int(score_bins(value))


def histogram(values: npt.ArrayLike, kind: Kind) -> npt.NDArray[np.int64]:
    """Return the dense histogram of values (scores: NaN not counted; levels: −1 not counted)."""
    array = np.asarray(values)
    bins = score_bins(array) if kind == "score" else np.where(array < 0, LEVEL_BINS, array).astype(np.intp)
    return np.bincount(bins.ravel(), minlength=bins_of(kind) + 1)[: bins_of(kind)]


def order_statistics(cumulative: IntArray, ranks: IntArray) -> IntArray:
    """Return the bin of the rank-th smallest value (0-based) per row of cumulative counts (m, bins).

    `ranks` is (m, r); a rank must be below its row's total.
    """
    m, width = cumulative.shape
    if width <= 16:
        # Few bins: count the bins whose cumulative count does not exceed the rank.
        found = np.zeros(ranks.shape, np.int8)
        for column in range(width - 1):
            found += cumulative[:, column, None] <= ranks
        return found
    # Many bins: one search over every row at once, each row lifted above the one before it.
    stride = int(cumulative[:, -1].max(initial=0)) + 1
    # Lifted counts keep the counts' integer type when they fit: less memory to write and search.
    dtype = cumulative.dtype if m * stride <= np.iinfo(cumulative.dtype).max else np.dtype(np.int64)
    lift = (np.arange(m, dtype=np.int64) * stride).astype(dtype)[:, None]
    flat = (cumulative + lift).ravel()
    needles = (ranks + 1 + lift).astype(dtype)
    positions: npt.NDArray[np.intp] = np.searchsorted(flat, needles, side="left")
    return np.asarray(positions - np.arange(m)[:, None] * width, np.intp)


def _quantiles(cumulative: IntArray, probabilities: Sequence[Fraction], kind: Kind) -> FloatArray:
    """Return the type 7 quantiles (m, probabilities) of rows of cumulative counts (m, bins)."""
    n = cumulative[:, -1:]
    last = np.maximum(n - 1, 0)
    numerators = np.array([p.numerator for p in probabilities], np.float64)
    denominators = np.array([p.denominator for p in probabilities], np.float64)
    # (n − 1)·a is a whole number below 2⁵³, so exact in float64, and (n − 1)·a / b lies at least
    # 1/b from a whole number unless it is one: its floor is exact, and so is the remainder.
    scaled = last * numerators
    low = np.floor(scaled / denominators)
    fraction = (scaled - low * denominators) / denominators
    ranks = low.astype(np.int64)
    bins = order_statistics(cumulative, np.concatenate([ranks, np.minimum(ranks + 1, last)], axis=1))
    below, above = bins[:, : len(probabilities)], bins[:, len(probabilities) :]
    values = (below + fraction * (above - below)) / (SCORE_SCALE if kind == "score" else 1)
    values[n[:, 0] == 0] = np.nan
    return values


def _band_shares(cumulative: IntArray, kind: Kind) -> FloatArray:
    """Return the shares per band (m, bands) of rows of cumulative counts (m, bins)."""
    ends = np.array([*SCORE_BAND_STARTS[1:], SCORE_BINS]) - 1 if kind == "score" else np.arange(LEVEL_BINS)
    counts = np.diff(cumulative[:, ends], axis=1, prepend=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(counts / cumulative[:, -1:], np.float64)


def _cumulative(histograms: IntArray) -> npt.NDArray[np.int64]:
    return np.cumsum(histograms.reshape(-1, histograms.shape[-1]), axis=1, dtype=np.int64)


def quantiles(histograms: IntArray, probabilities: Sequence[Fraction], kind: Kind) -> FloatArray:
    """Return the quantiles of each histogram (…, bins) as (…, probabilities); NaN when empty.

    Exact Hyndman & Fan type 7 (numpy's default "linear") on the values rounded to their bin:
    with n values sorted x₀ ≤ … ≤ xₙ₋₁ and h = (n − 1)p, Q(p) = x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋₊₁ − x⌊h⌋).
    p is a fraction, so h is exact and no rounding moves an order statistic.
    """
    values = _quantiles(_cumulative(histograms), probabilities, kind)
    return values.reshape(*histograms.shape[:-1], len(probabilities))


def band_shares(histograms: IntArray, kind: Kind) -> FloatArray:
    """Return the share (0–1) per score band or per level of each histogram (…, bins); NaN when empty."""
    shares = _band_shares(_cumulative(histograms), kind)
    return shares.reshape(*histograms.shape[:-1], band_count(kind))


def means(sums: FloatArray, counts: IntArray) -> FloatArray:
    """Return sums / counts, NaN where a count is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


@dataclass(frozen=True, eq=False)
class Summaries:
    """The statistics of m histograms, row for row; NaN where a histogram is empty."""

    counts: npt.NDArray[np.int64]
    means: FloatArray
    quantiles: FloatArray
    bands: FloatArray


def summarise(
    cumulative: IntArray, sums: FloatArray, probabilities: Sequence[Fraction], kind: Kind
) -> Summaries:
    """Return counts, means (from the exact sums of the unrounded values), quantiles and band shares.

    `cumulative` holds m histograms' cumulative counts (m, bins) and `sums` their values' sums (m,):
    any number of them, read in cache-sized blocks.
    """
    m, width = cumulative.shape
    out = Summaries(
        counts=np.empty(m, np.int64),
        means=np.empty(m, np.float64),
        quantiles=np.empty((m, len(probabilities)), np.float64),
        bands=np.empty((m, band_count(kind)), np.float64),
    )
    step = max(1, _BLOCK_CELLS // width)
    for start in range(0, m, step):
        rows = slice(start, start + step)
        block = cumulative[rows]
        out.counts[rows] = block[:, -1]
        out.means[rows] = means(sums[rows], block[:, -1])
        out.quantiles[rows] = _quantiles(block, probabilities, kind)
        out.bands[rows] = _band_shares(block, kind)
    return out


def percentile_ranks(cumulative: IntArray, bins: IntArray) -> FloatArray:
    """Return the mid-rank of a bin per row of cumulative counts (…, bins): 100 × (below + equal / 2) / n.

    Values in the same bin count as equal, so a rank is exact at bin precision; NaN when empty.
    """
    index = np.broadcast_to(np.expand_dims(np.asarray(bins, np.intp), -1), (*cumulative.shape[:-1], 1))
    through = np.take_along_axis(cumulative, index, -1)[..., 0].astype(np.float64)
    below = np.where(
        index[..., 0] > 0, np.take_along_axis(cumulative, np.maximum(index - 1, 0), -1)[..., 0], 0
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(100 * (below + through) / 2 / cumulative[..., -1], np.float64)


class Histograms(Mapping[str, SparseHistogram], abc.ABC):
    """A cohort's histograms by figure: sparse when read one by one, dense counts for many at once."""

    @abc.abstractmethod
    def counts(self, figure: str) -> npt.NDArray[np.int64]:
        """Return a figure's dense counts (score bins or levels)."""


def dense_ranks(counts: IntArray, value: float, kind: Kind) -> float:
    """Return a value's mid-rank percentile against dense counts (as `percentile_rank` does)."""
    cumulative = np.cumsum(counts)
    if cumulative[-1] == 0:
        raise ValueError("a percentile rank needs at least one value")
    return float(percentile_ranks(cumulative[np.newaxis, :], np.array([bin_of(value, kind)]))[0])


def to_sparse(histogram: IntArray) -> SparseHistogram:
    """Return the non-empty bins of a dense histogram."""
    filled = np.flatnonzero(histogram)
    return tuple(zip(filled.tolist(), histogram[filled].tolist(), strict=True))


def sparse_of_cumulative(cumulative: IntArray) -> SparseHistogram:
    """Return the non-empty bins of a histogram given by its cumulative counts."""
    return to_sparse(np.diff(cumulative, prepend=0))


def to_dense(sparse: SparseHistogram, kind: Kind) -> npt.NDArray[np.int64]:
    """Return the dense histogram of a sparse one."""
    dense = np.zeros(bins_of(kind), np.int64)
    for index, count in sparse:
        dense[index] += count
    return dense


def percentile_rank(sparse: SparseHistogram, value: float, kind: Kind) -> float:
    """Return a value's mid-rank percentile, 100 × (below + equal / 2) / n, at bin precision (0–100)."""
    position = bin_of(value, kind)
    below = sum(count for index, count in sparse if index < position)
    equal = sum(count for index, count in sparse if index == position)
    total = sum(count for _, count in sparse)
    if total == 0:
        raise ValueError("a percentile rank needs at least one value")
    return 100 * (below + equal / 2) / total
