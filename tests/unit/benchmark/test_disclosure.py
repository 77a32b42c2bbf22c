"""Disclosure control: the minimum cohort size, deciles, and secondary suppression by differencing."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from services.benchmark.domain.cohorts import CohortGrid, CohortKey
from services.benchmark.domain.disclosure import check_min_cohort_size, decile_threshold, withheld

SMALL = CohortGrid(("a", "b"), ("PME", "TPE"), ("r1", "r2"))


def _counts(grid: CohortGrid, members: dict[tuple[int, int, int, int], int]) -> np.ndarray:
    """Return the grid counts of organisations per finest cell (assurance, sector, size, region)."""
    finest = np.zeros(grid.finest_shape, np.int64)
    for cell, count in members.items():
        finest[cell] = count
    return grid.with_margins(finest)


def _hidden_keys(grid: CohortGrid, counts: np.ndarray, hidden: np.ndarray) -> set[CohortKey]:
    return {grid.key(int(cell)) for cell in np.flatnonzero(hidden & (counts > 0))}


def _families(counts: np.ndarray, hidden: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield (parent count, children counts, children hidden) for every shown parent along every axis."""
    for axis in range(4):
        count, mask = np.moveaxis(counts, axis, -1), np.moveaxis(hidden, axis, -1)
        for index in np.ndindex(count.shape[:-1]):
            if count[index][-1] > 0 and not mask[index][-1]:
                yield int(count[index][-1]), count[index][:-1], mask[index][:-1]


class TestMinimumCohortSize:
    @pytest.mark.parametrize("k", [0, 1, 2])
    def test_below_3_is_refused(self, k: int) -> None:
        with pytest.raises(ValueError, match="at least 3"):
            check_min_cohort_size(k)
        with pytest.raises(ValueError, match="at least 3"):
            withheld(np.ones(SMALL.shape, np.int64), k)

    def test_a_cohort_below_k_is_withheld_and_an_empty_one_is_not_published(self) -> None:
        counts = _counts(SMALL, {(0, 0, 0, 0): 3, (0, 0, 0, 1): 2})
        hidden = withheld(counts, 3)
        assert CohortKey("self_assessed", "a", "PME", "r2") in _hidden_keys(SMALL, counts, hidden)
        assert not hidden[counts == 0].any()

    @pytest.mark.parametrize(("k", "threshold"), [(3, 10), (5, 10), (6, 12), (10, 20)])
    def test_deciles_need_max_10_2k_values(self, k: int, threshold: int) -> None:
        assert decile_threshold(k) == threshold


class TestSecondarySuppression:
    def test_one_withheld_region_takes_the_smallest_shown_region_with_it(self) -> None:
        grid = CohortGrid(("a",), ("PME",), ("r1", "r2", "r3"))
        counts = _counts(grid, {(0, 0, 0, 0): 5, (0, 0, 0, 1): 4, (0, 0, 0, 2): 1})
        hidden = _hidden_keys(grid, counts, withheld(counts, 3))
        # r3 (1 organisation) is withheld; 10 − 5 − 4 would give it away, so r2 (4) goes too.
        assert {key.region for key in hidden} == {"r2", "r3"}
        assert len(hidden) == 16  # 2 regions × {a, all sectors} × {PME, all sizes} × {all, self}

    def test_a_withheld_assurance_takes_the_other_with_it(self) -> None:
        grid = CohortGrid(("a",), ("PME",), ("r1",))
        counts = _counts(grid, {(0, 0, 0, 0): 6, (1, 0, 0, 0): 2})
        hidden = _hidden_keys(grid, counts, withheld(counts, 3))
        assert {key.assurance for key in hidden} == {"self_assessed", "expert_validated"}
        assert len(hidden) == 16  # every cohort of both assurances; "all" stays shown

    def test_a_shown_parent_whose_only_child_is_withheld_is_withheld_too(self) -> None:
        grid = CohortGrid(("a",), ("PME",), ("r1",))
        counts = _counts(grid, {(0, 0, 0, 0): 5})
        already = np.zeros(grid.shape, np.bool_)
        already[0, 0, 0, 0] = True  # e.g. a figure of a cohort withheld for another reason
        hidden = withheld(counts, 3, already=already)
        # Each parent equals its one child, so the rule climbs to all organisations.
        assert hidden[counts > 0].all()

    def test_withheld_children_holding_fewer_than_k_together_take_a_sibling(self) -> None:
        grid = CohortGrid(("a", "b", "c"), ("PME",), ("r1",))
        counts = _counts(grid, {(0, 0, 0, 0): 1, (0, 1, 0, 0): 1, (0, 2, 0, 0): 7})
        hidden = _hidden_keys(grid, counts, withheld(counts, 3))
        # a and b (1 each) are withheld; 9 − 7 = 2 would still be read by difference.
        assert {key.sector for key in hidden} == {"a", "b", "c"}

    @settings(max_examples=150, deadline=None)
    @given(
        arrays(np.int64, SMALL.finest_shape, elements=st.one_of(st.just(0), st.integers(1, 9))),
        st.integers(3, 6),
    )
    def test_no_withheld_count_can_be_read_by_difference(self, finest: np.ndarray, k: int) -> None:
        counts = SMALL.with_margins(finest)
        hidden = withheld(counts, k)
        assert hidden[(counts > 0) & (counts < k)].all()
        assert not hidden[counts == 0].any()
        for parent, children, mask in _families(counts, hidden):
            present = children > 0
            difference = parent - children[present & ~mask].sum()
            assert not (children[present & mask] == difference).any()
            assert difference == 0 or difference >= k

    @settings(max_examples=60, deadline=None)
    @given(
        arrays(np.int64, (3, *SMALL.finest_shape), elements=st.one_of(st.just(0), st.integers(1, 9))),
    )
    def test_many_count_arrays_are_suppressed_independently(self, finest: np.ndarray) -> None:
        stacked = np.stack([SMALL.with_margins(f) for f in finest])
        together = withheld(stacked, 3)
        for index, counts in enumerate(stacked):
            assert (together[index] == withheld(counts, 3)).all()
