"""Statistical disclosure control: which cohorts and figures a snapshot may show.

Rules (INSEE's "secret statistique", with k the minimum cohort size, never below 3):
- primary: a cohort with fewer than k organisations is withheld, and reports no count; a figure of
  a shown cohort is shown only when at least k organisations have a value for it;
- deciles only from max(10, 2k) values: deciles of a small group approach its individual values;
- no minimum, maximum or any single organisation's value is ever published;
- secondary ("secret secondaire"): a parent cohort is the sum of its children along any one
  dimension (sector, size band, region, or self-assessed + expert-validated under "all"). When a
  shown parent has exactly one withheld child, parent − shown siblings gives that child away, so
  the smallest shown sibling is withheld too; likewise when its withheld children together hold
  fewer than k organisations (their sum would be read by difference). With no shown sibling left,
  the parent is withheld instead. This repeats until nothing changes.
The same rule runs per figure on the count of organisations with a value, since a figure's
histogram, mean and count are additive like the cohort's count.
Not covered: differences across two dimensions at once (linked tables) and successive snapshots;
scheduled snapshots and these single-dimension rules are the protection chosen (BRIEF §3).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

MIN_COHORT_FLOOR = 3
MIN_DECILE_VALUES = 10
GRID_AXES = 4
"""Cohort arrays end with the grid's 4 axes (assurance, sector, size band, region), margin last."""

BoolArray = npt.NDArray[np.bool_]


def check_min_cohort_size(k: int) -> int:
    """Return k, refusing a minimum cohort size below 3."""
    if k < MIN_COHORT_FLOOR:
        raise ValueError(f"the minimum cohort size is at least {MIN_COHORT_FLOOR}, not {k}")
    return k


def decile_threshold(k: int) -> int:
    """Return how many values a figure needs before its deciles are shown."""
    return max(MIN_DECILE_VALUES, 2 * k)


def withheld(counts: npt.NDArray[np.integer], k: int, *, already: BoolArray | None = None) -> BoolArray:
    """Return the cells to withhold (primary, then secondary) of count arrays ending with the grid's axes.

    `already` marks cells withheld beforehand (a figure's cell whose cohort is withheld).
    Empty cells are not published at all, so they are never marked.
    """
    check_min_cohort_size(k)
    present = counts > 0
    hidden = present & (counts < k)
    if already is not None:
        hidden |= already & present
    changed = True
    while changed:
        changed = False
        for axis in range(counts.ndim - GRID_AXES, counts.ndim):
            changed |= _expose_no_child(counts, present, hidden, axis, k)
    return hidden


def _expose_no_child(
    counts: npt.NDArray[np.integer], present: BoolArray, hidden: BoolArray, axis: int, k: int
) -> bool:
    """Withhold more cells (in place) wherever a shown parent along `axis` gives a child away."""
    count, there, mask = (np.moveaxis(a, axis, -1) for a in (counts, present, hidden))
    children_hidden = there[..., :-1] & mask[..., :-1]
    hidden_count = children_hidden.sum(axis=-1)
    hidden_total = np.where(children_hidden, count[..., :-1], 0).sum(axis=-1)
    parent_shown = there[..., -1] & ~mask[..., -1]
    exposed = parent_shown & ((hidden_count == 1) | ((hidden_count > 1) & (hidden_total < k)))
    if not exposed.any():
        return False
    shown = there[..., :-1] & ~mask[..., :-1]
    # The smallest shown sibling costs the least information; ties go to the first code.
    smallest = np.where(shown, count[..., :-1], np.iinfo(np.int64).max).argmin(axis=-1)
    with_sibling = exposed & shown.any(axis=-1)
    where = np.nonzero(with_sibling)
    mask[(*where, smallest[where])] = True
    mask[..., -1] |= exposed & ~with_sibling
    return True
