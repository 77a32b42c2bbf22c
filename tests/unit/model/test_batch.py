"""Batch scoring: exactly the single path's figures, row for row, on any mix of diagnostics."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.model.batch import CHUNK, BatchScores
from shared.model.editions import SME_PROFILE, shipped_edition
from shared.model.engine import CompiledModel, DiagnosticInput, Scorecard, compile_model
from shared.model.validation import parse_model
from tests.unit.model.builders import edited, indicator, model

SECTORS = [None, "", "banque", "sante", "telecoms-numerique", "inconnu"]


def _v2() -> CompiledModel:
    return compile_model(shipped_edition("2.0.0"))


@st.composite
def diagnostics(draw: st.DrawFn) -> DiagnosticInput:
    """Any subset of v2 (or its quick profile), some of it N/A, any sector, unknown codes too."""
    codes = list(_v2().codes)
    quick = draw(st.booleans())
    pool = list(SME_PROFILE) if quick else codes
    chosen = draw(st.lists(st.sampled_from(pool), max_size=len(pool), unique=True))
    na = frozenset(draw(st.lists(st.sampled_from(chosen), unique=True))) if chosen else frozenset()
    levels = {code: draw(st.integers(0, 5)) for code in chosen if code not in na}
    levels |= draw(st.dictionaries(st.sampled_from(["ZZ1", "XY9"]), st.integers(-9, 9), max_size=1))
    return DiagnosticInput(
        sector=draw(st.sampled_from(SECTORS)),
        scope="pme-10-priorites" if quick else "full",
        levels=levels,
        not_applicable=na,
    )


def _same(expected: float | None, actual: Any) -> bool:
    """Tell whether a batch figure is exactly the single path's (NaN standing for None)."""
    return math.isnan(actual) if expected is None else bool(expected == actual)


def _assert_row(compiled: CompiledModel, batch: BatchScores, row: int, card: Scorecard) -> None:
    assert _same(card.overall.score, batch.overall[row])
    assert card.percent_to_target == batch.percent_to_target[row]
    assert (card.overall.weighted_sum, card.overall.coefficient_sum) == (
        batch.weighted_sums[row],
        batch.coefficient_sums[row],
    )
    for index, lever in enumerate(card.levers):
        assert _same(lever.score, batch.levers[row, index])
    shown = {s.code: s.score for s in card.groupements}
    for index, code in enumerate(compiled.groupement_codes):
        assert _same(shown.get(code), batch.groupements[row, index])


def _rows(batch: BatchScores, rows: slice) -> list[np.ndarray[Any, Any]]:
    return [
        batch.overall[rows],
        batch.levers[rows],
        batch.groupements[rows],
        batch.percent_to_target[rows],
        batch.weighted_sums[rows],
        batch.coefficient_sums[rows],
    ]


class TestAgreesWithTheSinglePath:
    @settings(max_examples=60, deadline=None)
    @given(st.lists(diagnostics(), min_size=1, max_size=12))
    def test_batch_and_single_scoring_agree_exactly(self, inputs: list[DiagnosticInput]) -> None:
        compiled = _v2()
        batch = compiled.score_batch(*compiled.levels_matrix(inputs))
        for row, diagnostic in enumerate(inputs):
            _assert_row(compiled, batch, row, compiled.score(diagnostic))

    @settings(max_examples=30, deadline=None)
    @given(st.lists(diagnostics(), min_size=1, max_size=12))
    def test_a_batch_of_one_gives_the_rows_of_a_batch_of_many(self, inputs: list[DiagnosticInput]) -> None:
        compiled = _v2()
        levels, sectors = compiled.levels_matrix(inputs)
        many = compiled.score_batch(levels, sectors)
        for row in range(len(inputs)):
            one = compiled.score_batch(levels[row : row + 1], sectors[row : row + 1])
            same_rows = zip(_rows(one, slice(None)), _rows(many, slice(row, row + 1)), strict=True)
            for of_one, of_many in same_rows:
                np.testing.assert_array_equal(of_one, of_many)

    def test_rows_beyond_one_chunk_and_interleaved_sectors_agree(self) -> None:
        compiled, rng = _v2(), np.random.default_rng(7)
        levels = rng.integers(-1, 6, size=(2 * CHUNK + 5, len(compiled.codes)), dtype=np.int8)
        sectors = rng.integers(0, len(compiled.sectors) + 1, size=len(levels))
        sectors[: CHUNK + 3] = 2  # one long run, sliced, then the interleaved rest, gathered
        batch = compiled.score_batch(levels, sectors)
        for row in range(0, len(levels), 7):
            name = (*compiled.sectors, None)[sectors[row]]
            answered = {c: int(lv) for c, lv in zip(compiled.codes, levels[row], strict=True) if lv >= 0}
            _assert_row(compiled, batch, row, compiled.score(DiagnosticInput(name, "full", answered)))


class TestLevelsMatrix:
    @settings(max_examples=60, deadline=None)
    @given(st.lists(diagnostics(), max_size=8))
    def test_levels_matrix_round_trips(self, inputs: list[DiagnosticInput]) -> None:
        compiled = _v2()
        levels, sectors = compiled.levels_matrix(inputs)
        assert levels.dtype == np.dtype(np.int8)
        assert (levels.shape, sectors.shape) == ((len(inputs), 115), (len(inputs),))
        for row, diagnostic in enumerate(inputs):
            back = {c: int(lv) for c, lv in zip(compiled.codes, levels[row], strict=True) if lv >= 0}
            known = set(compiled.codes) - diagnostic.not_applicable
            assert back == {c: lv for c, lv in diagnostic.levels.items() if c in known}
            assert sectors[row] == compiled.sector_index(diagnostic.sector)

    def test_a_level_outside_zero_to_five_is_refused(self) -> None:
        with pytest.raises(ValueError, match="0–5"):
            _v2().levels_matrix([DiagnosticInput(None, "full", {"SP1": -1})])


class TestHandComputed:
    def test_means_percent_and_sums_of_a_small_model(self) -> None:
        document = edited(model())
        document["levers"][0]["groupements"][0]["indicators"][1] = indicator(
            "SP2", coefficient=2, sector_targets={"banque": 5}
        )
        compiled = compile_model(parse_model(document))
        batch = compiled.score_batch(np.array([[4, 1, 2], [-1, -1, -1], [3, 2, 0]]), np.array([1, 1, 0]))
        assert batch.overall[0] == (12 + 2 + 2) / 6
        np.testing.assert_array_equal(batch.levers[0], [(12 + 2) / 5, 2.0])
        assert math.isnan(batch.overall[1])
        assert batch.percent_to_target[1] == 1.0
        assert batch.percent_to_target[2] == 1 - (0 + 3 + 3) / (3 + 5 + 3)
        assert (batch.weighted_sums.tolist(), batch.coefficient_sums.tolist()) == ([16, 0, 13], [6, 0, 6])

    def test_an_empty_batch_gives_empty_arrays(self) -> None:
        compiled = _v2()
        batch = compiled.score_batch(np.empty((0, 115), np.int8), np.empty(0, np.intp))
        assert (batch.overall.shape, batch.levers.shape, batch.groupements.shape) == ((0,), (0, 6), (0, 19))


class TestInvalidInput:
    @pytest.mark.parametrize(
        ("levels", "sectors"),
        [
            (np.zeros((2, 114), np.int8), np.zeros(2, np.intp)),
            (np.zeros((2, 115), np.float32), np.zeros(2, np.intp)),
            (np.full((2, 115), 6, np.int8), np.zeros(2, np.intp)),
            (np.full((2, 115), -2, np.int8), np.zeros(2, np.intp)),
            (np.zeros((2, 115), np.int8), np.zeros(3, np.intp)),
            (np.zeros((2, 115), np.int8), np.array([0, 19])),
        ],
    )
    def test_a_malformed_batch_is_refused(self, levels: np.ndarray[Any, Any], sectors: Any) -> None:
        with pytest.raises(ValueError, match="must be"):
            _v2().score_batch(levels, sectors)
