"""Consolidation, divergence, completeness and submission rules, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.assessment.domain.diagnostic import (
    Answer,
    DiagnosticRuleError,
    ScopedIndicator,
    completeness,
    consolidate,
    lower_median,
)
from services.assessment.domain.organisation import siren_is_valid
from services.assessment.domain.records import DiagnosticRecord, MissingIndicators, Validation

T0 = datetime(2026, 11, 26, tzinfo=UTC)
SP1 = ScopedIndicator("SP1", "S", "SP", allows_na=False)
OFC2 = ScopedIndicator("OFC2", "OF", "OFC", allows_na=True)


def _answers(code: str, *levels: int | None) -> list[Answer]:
    return [Answer(f"r{i}", code, level, level is None) for i, level in enumerate(levels)]


def _record(*indicators: ScopedIndicator, status: str = "draft") -> DiagnosticRecord:
    return DiagnosticRecord("dg", "acc", "org", "dimm", "2.0.0", "full", {}, indicators, status, T0)  # type: ignore[arg-type]


class TestLowerMedian:
    @pytest.mark.parametrize(
        ("levels", "expected"), [([3], 3), ([1, 4], 1), ([1, 3, 4], 3), ([4, 1, 3, 2], 2)]
    )
    def test_examples(self, levels: list[int], expected: int) -> None:
        assert lower_median(levels) == expected

    @given(st.lists(st.integers(0, 5), min_size=1, max_size=12))
    def test_it_is_one_of_the_levels_and_at_most_half_are_below(self, levels: list[int]) -> None:
        median = lower_median(levels)
        assert median in levels
        assert sum(level < median for level in levels) <= len(levels) // 2


class TestConsolidate:
    def test_respondents_give_the_lower_median(self) -> None:
        result = consolidate(SP1, _answers("SP1", 1, 3, 4), None)
        assert (result.level, result.source, result.spread, result.divergent) == (3, "respondents", 3, True)

    def test_a_spread_of_one_is_no_divergence(self) -> None:
        assert not consolidate(SP1, _answers("SP1", 2, 3), None).divergent

    def test_a_validated_level_wins(self) -> None:
        result = consolidate(SP1, _answers("SP1", 1, 1), 4)
        assert (result.level, result.source) == (4, "validated")

    def test_na_only_when_every_answer_says_so_and_the_model_allows_it(self) -> None:
        assert consolidate(OFC2, _answers("OFC2", None, None), None).not_applicable
        assert consolidate(OFC2, _answers("OFC2", None, 2), None).level == 2
        assert not consolidate(SP1, _answers("SP1", None), None).settled

    def test_no_answer_is_not_settled(self) -> None:
        assert consolidate(SP1, [], None).source == "none"


class TestCompleteness:
    def test_counts_per_lever(self) -> None:
        scope = [SP1, OFC2]
        result = completeness(scope, {"SP1": consolidate(SP1, _answers("SP1", 2), None)})
        assert (result.settled, result.applicable, result.per_lever) == (1, 2, {"S": (1, 1), "OF": (0, 1)})
        assert result.ratio == 0.5


class TestRecord:
    def test_submission_lists_every_missing_indicator(self) -> None:
        with pytest.raises(MissingIndicators) as caught:
            _record(SP1, OFC2).submit(_answers("SP1", 2), at=T0)
        assert caught.value.missing == ["OFC2"]

    def test_submission_moves_a_complete_draft(self) -> None:
        submitted, consolidated = _record(SP1).submit(_answers("SP1", 2), at=T0)
        assert submitted.status == "submitted"
        assert submitted.status_at == {"submitted": T0}
        assert consolidated["SP1"].level == 2

    def test_only_a_draft_changes(self) -> None:
        with pytest.raises(DiagnosticRuleError):
            _record(SP1, status="submitted").validate("SP1", Validation(2, False, "", T0))
        with pytest.raises(DiagnosticRuleError):
            _record(SP1, status="withdrawn").withdraw(at=T0)

    def test_na_cannot_be_validated_where_the_model_forbids_it(self) -> None:
        with pytest.raises(DiagnosticRuleError, match="not applicable"):
            _record(SP1).validate("SP1", Validation(None, True, "", T0))


class TestSiren:
    @pytest.mark.parametrize("siren", ["732829320", "552100554", "443061841"])
    def test_valid_sirens(self, siren: str) -> None:
        assert siren_is_valid(siren)

    @pytest.mark.parametrize("siren", ["732829321", "12345678", "abcdefghi", "1234567890"])
    def test_invalid_sirens(self, siren: str) -> None:
        assert not siren_is_valid(siren)
