"""The benchmark's random population: realistic in shape, and a snapshot can be built from it."""

from __future__ import annotations

import numpy as np

from dimm.bench.benchmark_stats import realistic_population, snapshot_rate


class TestRealisticPopulation:
    def test_it_has_every_dimension_quick_profiles_and_the_v2_figures(self) -> None:
        population, layout = realistic_population(2000)
        assert len(population) == 2000
        assert (
            len(population.sector_codes),
            len(population.size_band_codes),
            len(population.region_codes),
        ) == (
            18,
            4,
            19,
        )
        assert population.scores.shape == (2000, len(layout.score_figures))
        assert population.levels.shape == (2000, 115)
        quick = np.isnan(population.scores[:, 0])
        assert 0.05 < quick.mean() < 0.15
        assert ((population.levels[quick] >= 0).sum(axis=1) <= 10).all()
        assert set(np.unique(population.assurance).tolist()) == {0, 1}
        assert 0.05 < population.carried_over.mean() < 0.15

    def test_the_same_seed_gives_the_same_population(self) -> None:
        first, _ = realistic_population(50)
        second, _ = realistic_population(50)
        assert np.array_equal(first.levels, second.levels)

    def test_the_rate_is_organisations_per_cpu_second(self) -> None:
        assert snapshot_rate(300, seconds=0.0, read_cohorts=True) > 0
