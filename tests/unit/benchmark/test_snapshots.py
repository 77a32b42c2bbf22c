"""build_snapshot: hand-computed figures, disclosure per cohort and per figure, and agreement with a
direct computation on any small population."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings

from services.benchmark.domain.cohorts import CohortKey, keys_of
from services.benchmark.domain.figures import kind_of
from services.benchmark.domain.snapshots import (
    Contribution,
    FigureStats,
    Population,
    Snapshot,
    build_snapshot,
)
from services.benchmark.domain.statistics import to_dense
from tests.unit.benchmark.builders import (
    LAYOUT,
    NAN,
    all_keys,
    at_bin_precision,
    contribution,
    contributions,
    members,
    values,
)

ALL = CohortKey("all", None, None, None)
FINEST = CohortKey("all", "banque", "PME", "bretagne")


def _snapshot(rows: list[Contribution], k: int = 5) -> Snapshot:
    return build_snapshot(Population.from_rows(rows, LAYOUT), LAYOUT, min_cohort_size=k)


def _six() -> list[Contribution]:
    """Five full diagnostics and a quick profile (no score), in one finest cohort; two carried over."""
    overall = [1.004, 2.006, 2.496, 3.0, 4.0]
    sp1 = [0, 1, 3, 5, 2]
    full = [
        contribution((score, 2.0), (level, 2), carried_over=i == 0)
        for i, (score, level) in enumerate(zip(overall, sp1, strict=True))
    ]
    return [*full, contribution((NAN, NAN), (1, -1), carried_over=True)]


class TestHandComputed:
    def test_a_cohort_of_six_gives_the_hand_computed_figures(self) -> None:
        cohort = _snapshot(_six()).cohorts[FINEST]
        assert (cohort.organisations, cohort.withheld, cohort.carried_over) == (6, False, 2)
        overall = cohort.figures["overall"]
        assert overall.organisations == 5  # the quick profile has no overall score
        assert overall.mean == pytest.approx(12.506 / 5)  # from the unrounded scores
        assert overall.quartiles == pytest.approx((2.01, 2.5, 3.0))  # rounded: 1.00 2.01 2.50 3.00 4.00
        assert overall.bands == pytest.approx((0, 0.2, 0.4, 0.2, 0.2))
        assert overall.deciles is None
        sp1 = cohort.figures["indicator:SP1"]  # 0 1 1 2 3 5
        assert (sp1.organisations, sp1.mean) == (6, 2.0)
        assert sp1.quartiles == pytest.approx((1.0, 1.5, 2.75))
        assert sp1.bands == pytest.approx((1 / 6, 2 / 6, 1 / 6, 1 / 6, 0, 1 / 6))

    def test_only_non_empty_cohorts_appear(self) -> None:
        snapshot = _snapshot(_six())
        assert set(snapshot.cohorts) == set(
            keys_of(sector="banque", size_band="PME", region="bretagne", assurance="self_assessed")
        )
        assert snapshot.organisations == 6
        assert next(iter(snapshot.cohorts)) == ALL  # coarsest first

    def test_percentile_ranks_are_mid_ranks_in_the_cohort(self) -> None:
        snapshot = _snapshot(_six())
        assert snapshot.percentile_rank(ALL, "overall", 2.5) == 50.0
        assert snapshot.percentile_rank(ALL, "overall", 2.006) == 30.0  # shows as 2.01, like one value
        assert snapshot.percentile_rank(ALL, "indicator:SP1", 1) == pytest.approx(100 * 2 / 6)

    def test_an_unknown_cohort_or_figure_has_no_rank(self) -> None:
        snapshot = _snapshot(_six())
        assert snapshot.percentile_rank(CohortKey("all", "sante", None, None), "overall", 2.5) is None
        assert snapshot.percentile_rank(ALL, "indicator:ZZ9", 2) is None

    def test_no_figure_carries_a_minimum_a_maximum_or_a_single_value(self) -> None:
        names = {field.name for field in dataclasses.fields(FigureStats)}
        assert names == {"figure", "organisations", "mean", "quartiles", "deciles", "bands"}


class TestDisclosure:
    def test_k_below_3_is_refused(self) -> None:
        with pytest.raises(ValueError, match="at least 3"):
            _snapshot(_six(), k=2)

    def test_a_cohort_below_k_is_withheld_without_a_count(self) -> None:
        snapshot = _snapshot(_six(), k=7)
        cohort = snapshot.cohorts[ALL]
        assert (cohort.withheld, cohort.organisations, cohort.carried_over) == (True, None, None)
        assert (cohort.figures, dict(cohort.histograms)) == ({}, {})
        assert snapshot.percentile_rank(ALL, "overall", 2.5) is None

    def test_a_figure_needs_k_values_so_quick_profiles_thin_out_the_scores(self) -> None:
        cohort = _snapshot(_six(), k=6).cohorts[ALL]
        assert not cohort.withheld
        # Six organisations: SP1 has six levels, the scores and SP2 only five.
        assert set(cohort.figures) == set(cohort.histograms) == {"indicator:SP1"}

    @pytest.mark.parametrize(
        ("k", "size", "shown"), [(5, 9, False), (5, 10, True), (6, 11, False), (6, 12, True)]
    )
    def test_deciles_need_max_10_2k_values(self, k: int, size: int, shown: bool) -> None:
        rows = [contribution((i / 4, 1.0)) for i in range(size)]
        overall = _snapshot(rows, k=k).cohorts[ALL].figures["overall"]
        assert (overall.deciles is not None) is shown
        if overall.deciles is not None:
            expected = np.quantile(
                at_bin_precision("overall", [i / 4 for i in range(size)]), np.arange(1, 10) / 10
            )
            assert overall.deciles == pytest.approx(tuple(expected))

    def test_a_withheld_expert_cohort_takes_the_self_assessed_one_with_it(self) -> None:
        rows = _six() + [contribution(assurance="expert_validated") for _ in range(2)]
        snapshot = _snapshot(rows, k=3)
        assert snapshot.cohorts[FINEST].organisations == 8
        assert snapshot.cohorts[dataclasses.replace(FINEST, assurance="expert_validated")].withheld
        assert snapshot.cohorts[dataclasses.replace(FINEST, assurance="self_assessed")].withheld


def _both_assurances_everywhere() -> list[Contribution]:
    """Twelve random organisations per finest cell and assurance, so every cohort is shown at k = 3."""
    rng = np.random.default_rng(3)
    return [
        contribution(
            (float(rng.uniform(0, 5)), NAN if rng.random() < 0.2 else float(rng.uniform(0, 5))),
            tuple(int(level) for level in rng.integers(-1, 6, 2)),
            sector=sector,
            region=region,
            assurance=assurance,
            carried_over=bool(rng.random() < 0.3),
        )
        for sector in ("a", "b")
        for region in ("r1", "r2")
        for assurance in ("self_assessed", "expert_validated")
        for _ in range(12)
    ]


class TestAdditivity:
    def test_a_population_split_by_assurance_sums_back_into_all(self) -> None:
        rows = _both_assurances_everywhere()
        snapshot = _snapshot(rows, k=3)
        for key in (k for k in snapshot.cohorts if k.assurance == "all"):
            parts = [
                snapshot.cohorts[dataclasses.replace(key, assurance=a)]
                for a in ("self_assessed", "expert_validated")
            ]
            whole = snapshot.cohorts[key]
            assert whole.organisations == sum(p.organisations or 0 for p in parts)
            assert whole.carried_over == sum(p.carried_over or 0 for p in parts)
            for figure in LAYOUT.figures:
                dense = [to_dense(c.histograms[figure], kind_of(figure)) for c in (whole, *parts)]
                assert (dense[0] == dense[1] + dense[2]).all()
                stats = [c.figures[figure] for c in (whole, *parts)]
                assert stats[0].organisations * stats[0].mean == pytest.approx(
                    sum(s.organisations * s.mean for s in stats[1:])
                )


class TestAgainstADirectComputation:
    @settings(max_examples=60, deadline=None)
    @given(contributions())
    def test_every_shown_figure_is_the_direct_statistic_of_its_members(
        self, rows: list[Contribution]
    ) -> None:
        snapshot = _snapshot(rows, k=3)
        assert set(snapshot.cohorts) == all_keys(rows)
        for key, cohort in snapshot.cohorts.items():
            inside = members(rows, key)
            if cohort.withheld:
                assert cohort.organisations is None
                continue
            assert cohort.organisations == len(inside) >= 3
            assert cohort.carried_over == sum(row.carried_over for row in inside)
            for figure, stats in cohort.figures.items():
                found = values(inside, figure)
                assert stats.organisations == len(found) >= 3
                assert stats.mean == pytest.approx(sum(found) / len(found))
                expected = np.quantile(at_bin_precision(figure, found), [0.25, 0.5, 0.75], method="linear")
                assert stats.quartiles == pytest.approx(tuple(expected), abs=1e-12)
                assert math.isclose(sum(stats.bands), 1.0)

    @settings(max_examples=60, deadline=None)
    @given(contributions())
    def test_no_withheld_figure_count_can_be_read_by_difference(self, rows: list[Contribution]) -> None:
        snapshot = _snapshot(rows, k=3)
        dimensions = ("sector", "size_band", "region")
        for key, cohort in snapshot.cohorts.items():
            for figure, parent in cohort.figures.items():
                for name in (*dimensions, "assurance"):
                    if getattr(key, name) != (None if name in dimensions else "all"):
                        continue
                    children = _children(snapshot, key, name)
                    hidden = [
                        len(values(members(rows, c), figure))
                        for c in children
                        if figure not in snapshot.cohorts[c].figures
                    ]
                    hidden = [count for count in hidden if count]
                    shown = sum(
                        snapshot.cohorts[c].figures[figure].organisations
                        for c in children
                        if figure in snapshot.cohorts[c].figures
                    )
                    assert parent.organisations - shown not in hidden or len(hidden) > 1
                    assert not hidden or sum(hidden) >= 3


def _children(snapshot: Snapshot, key: CohortKey, name: str) -> list[CohortKey]:
    """Return the present cohorts one step finer than key along one dimension."""
    return [
        child
        for child in snapshot.cohorts
        if getattr(child, name) != getattr(key, name)
        and getattr(child, name) is not None
        and getattr(child, name) != "all"
        and all(
            getattr(child, other) == getattr(key, other)
            for other in ("assurance", "sector", "size_band", "region")
            if other != name
        )
    ]


class TestPopulation:
    def test_one_row_per_organisation(self) -> None:
        row = contribution()
        with pytest.raises(ValueError, match="one row per organisation"):
            Population.from_rows([row, row], LAYOUT)

    @pytest.mark.parametrize(
        ("scores", "levels"), [((5.5, 1.0), (1, 1)), ((-0.1, 1.0), (1, 1)), ((1.0, 1.0), (6, 1))]
    )
    def test_values_outside_0_to_5_are_refused(
        self, scores: tuple[float, float], levels: tuple[int, int]
    ) -> None:
        with pytest.raises(ValueError, match="0–5"):
            Population.from_rows([contribution(scores, levels)], LAYOUT)

    def test_an_unknown_assurance_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown code"):
            Population.from_rows([contribution(assurance="all")], LAYOUT)

    def test_a_layout_of_other_figures_is_refused(self) -> None:
        population = Population.from_rows([contribution()], LAYOUT)
        other = dataclasses.replace(LAYOUT, score_figures=("overall",))
        with pytest.raises(ValueError, match="score columns"):
            build_snapshot(population, other, min_cohort_size=3)

    def test_an_empty_population_gives_an_empty_snapshot(self) -> None:
        snapshot = _snapshot([], k=3)
        assert (snapshot.organisations, len(snapshot.cohorts)) == (0, 0)
        assert snapshot.percentile_rank(ALL, "overall", 1.0) is None
