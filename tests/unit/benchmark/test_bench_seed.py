"""The benchmark bench's stored population: the service counts it back as the population it came from."""

from __future__ import annotations

import numpy as np

from dimm.bench.benchmark_seed import EARLIER, QUICK_SCOPE, entry_of, member_of, sample_rows, scored_event
from dimm.bench.benchmark_stats import realistic_population
from services.benchmark.domain.counting import population_of
from services.benchmark.domain.entries import ScoredEntry
from shared.model.editions import shipped_edition


class TestStoredPopulation:
    def test_members_are_counted_back_as_the_in_memory_population(self) -> None:
        population, _ = realistic_population(200)
        members = [member_of(entry_of(population, row, run="t")) for row in range(200)]
        counted, _ = population_of(members, shipped_edition("2.0.0"))
        assert len(counted) == 200
        assert np.array_equal(counted.carried_over, population.carried_over)
        assert np.array_equal(np.isnan(counted.scores[:, 0]), np.isnan(population.scores[:, 0]))
        current = ~population.carried_over
        assert np.array_equal(counted.levels[current], population.levels[current])
        assert np.allclose(counted.scores[current], population.scores[current], equal_nan=True)

    def test_carried_over_rows_pin_the_earlier_version_and_quick_rows_the_quick_profile(self) -> None:
        population, _ = realistic_population(200)
        quick = np.isnan(population.scores[:, 0])
        for row in range(200):
            entry = entry_of(population, row, run="t")
            assert (entry.model_version == EARLIER) == population.carried_over[row]
            assert (entry.scope == QUICK_SCOPE) == quick[row]

    def test_a_scored_event_gives_the_service_the_same_diagnostic(self) -> None:
        population, _ = realistic_population(30)
        for row in range(30):
            entry = entry_of(population, row, run="t")
            assert ScoredEntry.of(scored_event(entry)) == entry

    def test_sample_rows_are_distinct_and_within_the_population(self) -> None:
        population, _ = realistic_population(50)
        rows = sample_rows(population, 20)
        assert len(set(rows)) == 20
        assert all(0 <= row < 50 for row in rows)
        assert len(sample_rows(population, 80)) == 50
