"""Fixed-bin histograms and what is read from them: bins, type 7 quantiles, mid-ranks, bands, means."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.benchmark.domain.statistics import (
    DECILES,
    LEVEL_BINS,
    QUARTILES,
    SCORE_BINS,
    band_shares,
    bin_of,
    histogram,
    means,
    order_statistics,
    percentile_rank,
    percentile_ranks,
    quantiles,
    score_bins,
    sparse_of_cumulative,
    summarise,
    to_dense,
    to_sparse,
)

PROBABILITIES = (*QUARTILES, *DECILES)
scores = st.floats(0, 5, allow_nan=False)
score_groups = st.lists(st.lists(scores, min_size=1, max_size=40), min_size=1, max_size=8)
level_groups = st.lists(st.lists(st.integers(0, 5), min_size=1, max_size=40), min_size=1, max_size=8)


def _rounded(values: list[float]) -> np.ndarray:
    """Return scores rounded to their bin, as the statistics see them."""
    return score_bins(values) / 100


def _stack(groups: list[list[float]] | list[list[int]], kind: str) -> np.ndarray:
    return np.stack([histogram(group, kind) for group in groups])  # type: ignore[arg-type]


class TestScoreBins:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (0.0, 0),
            (0.0049, 0),
            (0.005, 1),
            (0.015, 2),  # stored as 0.01499999…: still half up
            (2.335, 234),
            (2.345, 235),  # stored as 2.34499…
            (469 / 200, 235),  # a real score: Σ coef × level / Σ coef = 2.345 exactly
            (2.3449, 234),
            (4.994, 499),
            (4.995, 500),
            (5.0, 500),
        ],
    )
    def test_a_score_is_rounded_half_up_to_two_decimals(self, value: float, expected: int) -> None:
        assert int(score_bins(value)) == expected
        assert bin_of(value, "score") == expected

    def test_a_missing_score_goes_past_the_last_bin(self) -> None:
        assert score_bins([np.nan, 1.0]).tolist() == [SCORE_BINS, 100]

    def test_every_ratio_a_scorecard_can_produce_rounds_half_up(self) -> None:
        # Every weighted mean with Σ coef ≤ 345 (115 indicators × coefficient 3).
        denominators = np.repeat(np.arange(1, 346), 5 * np.arange(1, 346) + 1)
        numerators = np.concatenate([np.arange(5 * d + 1) for d in range(1, 346)])
        exact = (200 * numerators // denominators + 1) // 2  # ⌊100 a / b + 1/2⌋ in integers
        assert (score_bins(numerators / denominators) == exact).all()

    @pytest.mark.parametrize("value", [-0.01, 5.01, float("nan")])
    def test_a_value_outside_0_to_5_has_no_bin(self, value: float) -> None:
        with pytest.raises(ValueError, match="0–5"):
            bin_of(value, "score")

    def test_a_level_is_its_own_bin_and_must_be_whole(self) -> None:
        assert bin_of(3, "level") == 3
        with pytest.raises(ValueError, match="integer"):
            bin_of(2.5, "level")


class TestHistograms:
    def test_a_histogram_counts_per_bin_and_leaves_missing_values_out(self) -> None:
        counts = histogram([1.0, 1.004, 2.5, np.nan], "score")
        assert len(counts) == SCORE_BINS
        assert counts.sum() == 3
        assert (counts[100], counts[250]) == (2, 1)
        assert histogram([0, 5, 5, -1], "level").tolist() == [1, 0, 0, 0, 0, 2]

    @given(st.lists(st.integers(0, 9), min_size=LEVEL_BINS, max_size=LEVEL_BINS))
    def test_a_sparse_histogram_keeps_only_non_empty_bins_and_round_trips(self, counts: list[int]) -> None:
        dense = np.array(counts, np.int64)
        sparse = to_sparse(dense)
        assert [b for b, _ in sparse] == sorted(b for b, c in enumerate(counts) if c)
        assert all(count > 0 for _, count in sparse)
        assert to_dense(sparse, "level").tolist() == counts
        assert sparse_of_cumulative(np.cumsum(dense)) == sparse


class TestQuantiles:
    def test_hand_computed_quartiles_are_type_7_on_rounded_values(self) -> None:
        # Rounded: 1.00 2.01 2.50 3.00 4.00; h = 4p falls on an order statistic for each quartile.
        counts = histogram([1.004, 2.006, 2.496, 3.0, 4.0], "score")
        assert quantiles(counts, QUARTILES, "score").tolist() == pytest.approx([2.01, 2.5, 3.0])

    def test_between_order_statistics_the_quantile_interpolates(self) -> None:
        # n = 4: h = 3/4 for the first quartile, between 1.00 and 2.00.
        counts = histogram([1.0, 2.0, 3.0, 4.0], "score")
        assert quantiles(counts, QUARTILES, "score").tolist() == pytest.approx([1.75, 2.5, 3.25])

    def test_an_empty_histogram_has_no_quantile(self) -> None:
        values = quantiles(np.zeros((2, LEVEL_BINS), np.int64), QUARTILES, "level")
        assert np.isnan(values).all()

    @settings(max_examples=80, deadline=None)
    @given(score_groups)
    def test_score_quantiles_equal_numpys_linear_on_rounded_values(self, groups: list[list[float]]) -> None:
        found = quantiles(_stack(groups, "score"), PROBABILITIES, "score")
        for row, group in zip(found, groups, strict=True):
            expected = np.quantile(_rounded(group), [float(p) for p in PROBABILITIES], method="linear")
            np.testing.assert_allclose(row, expected, rtol=0, atol=1e-12)

    @settings(max_examples=80, deadline=None)
    @given(level_groups)
    def test_level_quantiles_equal_numpys_linear(self, groups: list[list[int]]) -> None:
        found = quantiles(_stack(groups, "level"), PROBABILITIES, "level")
        for row, group in zip(found, groups, strict=True):
            expected = np.quantile(group, [float(p) for p in PROBABILITIES], method="linear")
            np.testing.assert_allclose(row, expected, rtol=0, atol=1e-12)

    def test_many_histograms_at_once_keep_their_leading_axes(self) -> None:
        stacked = np.ones((3, 4, SCORE_BINS), np.int64)
        assert quantiles(stacked, QUARTILES, "score").shape == (3, 4, 3)

    @given(st.lists(st.integers(0, 5), min_size=1, max_size=30))
    def test_both_searches_of_order_statistics_agree(self, levels: list[int]) -> None:
        # The few-bins path counts; the many-bins path searches: pad the bins to force the latter.
        few = np.cumsum(histogram(levels, "level"))[None]
        many = np.concatenate([few, np.full((1, 20), len(levels))], axis=1)
        ranks = np.arange(len(levels))[None]
        assert order_statistics(few, ranks).tolist() == order_statistics(many, ranks).tolist()
        assert order_statistics(few, ranks)[0].tolist() == sorted(levels)

    def test_large_counts_are_searched_in_64_bits(self) -> None:
        # Three rows of 2³⁰ values each: lifting them one above another overflows 32 bits.
        histograms = np.zeros((3, SCORE_BINS), np.int32)
        histograms[:, [100, 400]] = 2**29
        cumulative = np.cumsum(histograms, axis=1, dtype=np.int32)
        ranks = np.array([[0, 2**29 - 1, 2**29, 2**30 - 1]] * 3)
        assert order_statistics(cumulative, ranks).tolist() == [[100, 100, 400, 400]] * 3


class TestPercentileRanks:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [(0.0, 0.0), (1.0, 12.5), (2.0, 50.0), (2.004, 50.0), (2.5, 75.0), (5.0, 100.0)],
    )
    def test_hand_computed_mid_ranks(self, value: float, expected: float) -> None:
        sparse = to_sparse(histogram([1.0, 2.0, 2.0, 3.0], "score"))
        assert percentile_rank(sparse, value, "score") == expected

    def test_a_level_rank_counts_half_of_the_equal_levels(self) -> None:
        sparse = to_sparse(histogram([0, 1, 1, 3, 5], "level"))
        assert percentile_rank(sparse, 1, "level") == 40.0

    def test_an_empty_histogram_has_no_rank(self) -> None:
        with pytest.raises(ValueError, match="at least one"):
            percentile_rank((), 1.0, "score")

    @settings(max_examples=80, deadline=None)
    @given(st.lists(scores, min_size=1, max_size=40), scores)
    def test_the_rank_is_the_direct_mid_rank_at_bin_precision(
        self, values: list[float], value: float
    ) -> None:
        rounded, mine = score_bins(values), bin_of(value, "score")
        direct = 100 * ((rounded < mine).sum() + (rounded == mine).sum() / 2) / len(values)
        dense = histogram(values, "score")
        assert percentile_rank(to_sparse(dense), value, "score") == pytest.approx(direct)
        assert percentile_ranks(np.cumsum(dense)[None], np.array([mine]))[0] == pytest.approx(direct)


class TestBandsAndMeans:
    def test_score_bands_put_5_in_the_last_band_and_read_values_at_bin_precision(self) -> None:
        # 0.995 shows as 1.00 and 3.999 as 4.00: each falls in the band it is shown in.
        counts = histogram([0.5, 0.995, 1.5, 2.0, 3.999, 5.0, 4.2, 3.0], "score")
        assert band_shares(counts, "score").tolist() == pytest.approx([1 / 8, 2 / 8, 1 / 8, 1 / 8, 3 / 8])

    def test_level_bands_are_the_share_of_each_level(self) -> None:
        counts = histogram([0, 1, 1, 3, 5], "level")
        assert band_shares(counts, "level").tolist() == pytest.approx([0.2, 0.4, 0, 0.2, 0, 0.2])

    def test_means_come_from_the_unrounded_sums_and_are_nan_when_empty(self) -> None:
        values = [1.004, 2.006, 2.496, 3.0, 4.0]
        histograms = np.stack([histogram(values, "score"), np.zeros(SCORE_BINS, np.int64)])
        summaries = summarise(np.cumsum(histograms, axis=1), np.array([sum(values), 0.0]), QUARTILES, "score")
        assert summaries.counts.tolist() == [5, 0]
        assert summaries.means[0] == pytest.approx(2.5012)
        assert np.isnan(summaries.means[1])
        assert np.isnan(means(np.array([0.0]), np.array([0])))[0]

    @settings(max_examples=40, deadline=None)
    @given(score_groups)
    def test_summaries_agree_with_each_statistic_alone(self, groups: list[list[float]]) -> None:
        histograms = _stack(groups, "score")
        cumulative = np.cumsum(histograms, axis=1, dtype=np.int32)
        summaries = summarise(cumulative, np.array([sum(g) for g in groups]), [Fraction(1, 2)], "score")
        assert summaries.counts.tolist() == [len(g) for g in groups]
        np.testing.assert_allclose(summaries.means, [np.mean(g) for g in groups], rtol=1e-12)
        np.testing.assert_array_equal(summaries.quantiles, quantiles(histograms, [Fraction(1, 2)], "score"))
        np.testing.assert_array_equal(summaries.bands, band_shares(histograms, "score"))
