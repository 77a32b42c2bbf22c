"""Cohort keys, the cohort grid and its margins, and the figures of a model version."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from services.benchmark.domain.cohorts import CohortGrid, CohortKey, keys_of
from services.benchmark.domain.figures import FigureLayout, kind_of
from shared.model.editions import shipped_edition
from shared.model.engine import compile_model

GRID = CohortGrid(("banque", "sante"), ("PME", "TPE"), ("bretagne", "corse", "occitanie"))


class TestKeysOf:
    def test_an_organisation_belongs_to_16_cohorts(self) -> None:
        keys = keys_of(sector="banque", size_band="PME", region="bretagne", assurance="expert_validated")
        assert len(set(keys)) == 16
        assert {k.assurance for k in keys} == {"all", "expert_validated"}
        assert sum(k.assurance == "all" for k in keys) == 8

    def test_they_run_from_the_finest_cohort_to_all_organisations(self) -> None:
        keys = keys_of(sector="banque", size_band="PME", region="bretagne", assurance="self_assessed")
        assert CohortKey("all", "banque", "PME", "bretagne") in keys
        assert CohortKey("self_assessed", None, "PME", None) in keys
        assert CohortKey("all", None, None, None) in keys
        assert [k.depth for k in keys if k.assurance == "all"] == [3, 2, 2, 1, 2, 1, 1, 0]

    def test_a_diagnostics_assurance_is_self_or_expert(self) -> None:
        with pytest.raises(ValueError, match="assurance"):
            keys_of(sector="banque", size_band="PME", region="bretagne", assurance="all")


class TestCohortKey:
    def test_the_label_names_every_dimension(self) -> None:
        assert (
            CohortKey("all", "logement-social", "PME", None).label == "logement-social · PME · toutes régions"
        )
        assert CohortKey("expert_validated", None, None, "corse").label == (
            "tous secteurs · toutes tailles · corse · validées par un expert"
        )

    def test_only_the_coarsest_cohort_of_all_is_all_organisations(self) -> None:
        assert CohortKey("all", None, None, None).is_all
        assert not CohortKey("self_assessed", None, None, None).is_all
        assert not CohortKey("all", "banque", None, None).is_all

    def test_sorting_puts_all_first_then_coarser_cohorts(self) -> None:
        keys = [
            CohortKey("self_assessed", None, None, None),
            CohortKey("all", "banque", "PME", "corse"),
            CohortKey("all", "banque", None, None),
            CohortKey("all", None, None, None),
        ]
        assert sorted(keys, key=lambda k: k.sort_key) == [keys[3], keys[2], keys[1], keys[0]]


class TestCohortGrid:
    def test_every_cell_is_one_cohort_and_back(self) -> None:
        keys = [GRID.key(cell) for cell in range(GRID.size)]
        assert len(set(keys)) == GRID.size == 3 * 3 * 3 * 4
        assert all(GRID.cell(key) == cell for cell, key in enumerate(keys))
        assert GRID.key(GRID.size - 1) == CohortKey("all", None, None, None)

    def test_a_cohort_of_an_unknown_code_has_no_cell(self) -> None:
        assert GRID.cell(CohortKey("all", "automobile", None, None)) is None

    @settings(max_examples=40, deadline=None)
    @given(arrays(np.int64, GRID.finest_shape, elements=st.integers(0, 50)))
    def test_each_margin_is_the_sum_of_its_children_along_every_axis(self, finest: np.ndarray) -> None:
        grid = GRID.with_margins(finest)
        assert grid.shape == GRID.shape
        for axis in range(4):
            moved = np.moveaxis(grid, axis, -1)
            assert (moved[..., -1] == moved[..., :-1].sum(axis=-1)).all()
        assert grid[-1, -1, -1, -1] == finest.sum()

    def test_trailing_axes_ride_along(self) -> None:
        finest = np.ones((*GRID.finest_shape, 5), np.int32)
        assert GRID.with_margins(finest)[-1, -1, -1, -1].tolist() == [24] * 5  # 2 × 2 × 2 × 3 finest cells

    def test_rows_fall_in_their_finest_cell(self) -> None:
        cells = GRID.finest_cells(np.array([1]), np.array([0]), np.array([1]), np.array([2]))
        assert tuple(int(i) for i in np.unravel_index(int(cells[0]), GRID.finest_shape)) == (1, 0, 1, 2)


class TestFigureLayout:
    def test_the_v2_layout_follows_the_engine(self) -> None:
        compiled = compile_model(shipped_edition("2.0.0"))
        layout = FigureLayout.of(compiled.model)
        assert layout.score_figures[:2] == ("overall", "lever:S")
        assert len(layout.score_figures) == 1 + len(compiled.lever_codes) + len(compiled.groupement_codes)
        assert layout.indicator_figures == tuple(f"indicator:{code}" for code in compiled.codes)
        assert len(layout.indicator_figures) == 115
        assert layout.position("indicator:SP1") == 0
        assert layout.position("lever:S") == 1
        assert layout.position("nope") is None

    def test_the_engines_batch_scores_become_the_score_matrix(self) -> None:
        compiled = compile_model(shipped_edition("2.0.0"))
        layout = FigureLayout.of(compiled.model)
        levels = np.full((2, len(compiled.codes)), 3, np.int8)
        levels[1] = -1
        matrix = layout.score_matrix(compiled.score_batch(levels, np.array([0, 0])))
        assert matrix.shape == (2, len(layout.score_figures))
        assert (matrix[0] == 3.0).all()
        assert np.isnan(matrix[1]).all()

    def test_indicators_are_levels_and_the_rest_are_scores(self) -> None:
        assert kind_of("indicator:SP1") == "level"
        assert kind_of("overall") == kind_of("groupement:SP") == "score"
