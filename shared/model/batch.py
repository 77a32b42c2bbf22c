"""Score many diagnostics at once: levels as an int8 matrix, sums as float32 matmuls, numpy only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from shared.model.schema import MAX_LEVEL

UNSCORED = -1
"""The level of an indicator that leaves the sums: unanswered, N/A or outside the scope."""

EXACT_FLOAT32 = 2**24
# Rows per matmul: the float32 copies of a chunk (~1 MB) stay in the L2 cache.
CHUNK = 2048


@dataclass(frozen=True, eq=False)
class BatchScores:
    """Scores of n diagnostics, row for row; NaN where no indicator counted."""

    overall: npt.NDArray[np.float64]
    levers: npt.NDArray[np.float64]
    groupements: npt.NDArray[np.float64]
    percent_to_target: npt.NDArray[np.float64]
    weighted_sums: npt.NDArray[np.int64]
    coefficient_sums: npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class BatchPlan:
    """A model version as matrices: which column each indicator counts in, and the targets."""

    weights: npt.NDArray[np.float32]
    """(k, 1 + levers + groupements): the coefficient where an indicator counts in a column."""
    counted: npt.NDArray[np.float32]
    """(sectors + 1, k, columns + 2): weights, then the sector's targets, then ones."""
    targets: npt.NDArray[np.float32]
    """(sectors + 1, k): the target of each indicator per sector index."""
    levers: int


def plan_batch(
    weights: npt.NDArray[np.float32], targets: npt.NDArray[np.float32], *, levers: int
) -> BatchPlan:
    """Return the matrices score_batch multiplies by."""
    k = weights.shape[0]
    # float32 holds integers exactly below 2^24: every sum the matmuls form must stay under it.
    largest = max(float(weights.sum(axis=0).max(initial=0)) * MAX_LEVEL, float(targets.sum(axis=1).max()), k)
    if largest >= EXACT_FLOAT32:
        raise ValueError(f"a model this large ({k} indicators) would round its float32 sums")
    ones = np.ones((len(targets), k, 1), np.float32)
    tiled = np.broadcast_to(weights, (len(targets), *weights.shape))
    counted = np.concatenate([tiled, targets[:, :, None], ones], axis=2)
    return BatchPlan(weights=weights, counted=counted, targets=targets, levers=levers)


def _checked(plan: BatchPlan, levels: npt.NDArray[np.integer], sectors: npt.NDArray[np.integer]) -> None:
    k, columns = plan.weights.shape[0], len(plan.targets)
    if levels.ndim != 2 or levels.shape[1] != k or not np.issubdtype(levels.dtype, np.integer):
        raise ValueError(f"levels must be an integer matrix (n, {k}), not {levels.dtype} {levels.shape}")
    if sectors.shape != (len(levels),) or not np.issubdtype(sectors.dtype, np.integer):
        raise ValueError(f"sectors must be {len(levels)} integer sector indices, not {sectors.shape}")
    if len(levels) and not (levels.min() >= UNSCORED and levels.max() <= MAX_LEVEL):
        raise ValueError(f"levels must be {UNSCORED} (unscored) or 0–{MAX_LEVEL}")
    if len(sectors) and not (sectors.min() >= 0 and sectors.max() < columns):
        raise ValueError(f"sector indices must be 0–{columns - 1}")


def _runs(sectors: npt.NDArray[np.integer], count: int) -> Iterator[tuple[int, slice | npt.NDArray[np.intp]]]:
    """Yield (sector, rows) chunks in which every row has the same sector, so targets broadcast."""
    # In the narrowest integer type (a few sectors: uint8), numpy's stable sort is a radix sort.
    order = np.argsort(sectors.astype(np.min_scalar_type(count)), kind="stable")
    ordered = sectors[order]
    bounds = [0, *(np.flatnonzero(np.diff(ordered)) + 1).tolist(), len(order)]
    for start, end in pairwise(bounds):
        for chunk in range(start, end, CHUNK):
            rows = order[chunk : min(end, chunk + CHUNK)]
            first, last = int(rows[0]), int(rows[-1])
            # Rows already together (one sector, or input sorted by sector) are sliced, not gathered.
            yield int(ordered[start]), slice(first, last + 1) if last - first == len(rows) - 1 else rows


def _sums(
    plan: BatchPlan, block: npt.NDArray[np.integer], sector: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Return Σ coef × level, Σ coef (+ Σ target, count) and Σ max(0, target − level) of a chunk."""
    # Integer-valued float32 with sums < 2^24 is exact whatever order BLAS adds in.
    levels = block.astype(np.float32)
    scored = (block >= 0).astype(np.float32)
    weighted = np.maximum(levels, 0) @ plan.weights
    counted = scored @ plan.counted[sector]
    target_sum, scored_count = counted[:, -2], counted[:, -1]
    # Σ_scored min(level, target) = Σ_all min(level, target) + unscored count, as unscored is −1.
    reached = np.minimum(levels, plan.targets[sector]).sum(axis=1) + (block.shape[1] - scored_count)
    return weighted, counted, target_sum - reached


def score_batch(
    plan: BatchPlan, levels: npt.NDArray[np.integer], sectors: npt.NDArray[np.integer]
) -> BatchScores:
    """Score each row of levels (−1 = leaves the sums) with the targets of its sector index."""
    _checked(plan, levels, sectors)
    n, columns = len(levels), plan.weights.shape[1]
    means = np.empty((n, columns), np.float64)
    percent = np.empty(n, np.float64)
    sums = np.empty((n, 2), np.int64)
    for sector, rows in _runs(sectors, len(plan.targets)):
        weighted, counted, shortfall = _sums(plan, levels[rows], sector)
        target_sum = counted[:, -2].astype(np.float64)
        with np.errstate(invalid="ignore"):  # 0 / 0 = NaN where no indicator counted
            means[rows] = weighted / counted[:, :columns].astype(np.float64)
            percent[rows] = np.where(target_sum > 0, 1.0 - shortfall / target_sum, 1.0)
        sums[rows, 0], sums[rows, 1] = weighted[:, 0], counted[:, 0]
    levers = 1 + plan.levers
    return BatchScores(
        overall=means[:, 0],
        levers=means[:, 1:levers],
        groupements=means[:, levers:],
        percent_to_target=percent,
        weighted_sums=sums[:, 0],
        coefficient_sums=sums[:, 1],
    )
