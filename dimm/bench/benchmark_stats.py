"""Benchmark statistics alone: build_snapshot's rate on a realistic population, one core, CPU time."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import numpy.typing as npt

from services.benchmark.domain.figures import FigureLayout
from services.benchmark.domain.snapshots import Population, build_snapshot
from shared.model.batch import UNSCORED
from shared.model.editions import SME_PROFILE, shipped_edition
from shared.model.engine import compile_model
from shared.model.vocabulary import REGIONS

SNAPSHOT_GOAL = 200_000
SIZE_BANDS = ("TPE", "PME", "ETI", "GE")
QUICK_SHARE = 0.10
CARRIED_SHARE = 0.10
MIN_COHORT_SIZE = 5


def _weights(rng: np.random.Generator, count: int) -> npt.NDArray[np.float64]:
    """Return uneven shares: real sectors and regions are not equally represented."""
    weights = rng.dirichlet(np.full(count, 2.0))
    return np.asarray(weights / weights.sum())


def realistic_population(rows: int, *, seed: int = 7) -> tuple[Population, FigureLayout]:
    """Return a random population scored by the v2 engine: 18 sectors, 4 sizes, 19 regions, quick profiles."""
    compiled = compile_model(shipped_edition("2.0.0"))
    layout = FigureLayout.of(compiled.model)
    rng = np.random.default_rng(seed)
    sectors = rng.choice(len(compiled.sectors), rows, p=_weights(rng, len(compiled.sectors)))
    levels = rng.integers(0, 6, size=(rows, len(compiled.codes)), dtype=np.int8)
    levels[rng.random(levels.shape) < 1 / 7] = UNSCORED  # unanswered or not applicable
    quick = rng.random(rows) < QUICK_SHARE
    outside = np.array([code not in SME_PROFILE for code in compiled.codes])
    levels[np.ix_(quick, outside)] = UNSCORED
    scores = layout.score_matrix(compiled.score_batch(levels, sectors))
    scores[quick] = np.nan  # a quick profile has no overall, lever or groupement score
    population = Population(
        organisation_ids=[f"org_{row:08d}" for row in range(rows)],
        sectors=sectors,
        size_bands=rng.choice(len(SIZE_BANDS), rows, p=[0.55, 0.3, 0.1, 0.05]),
        regions=rng.choice(len(REGIONS), rows, p=_weights(rng, len(REGIONS))),
        sector_codes=compiled.sectors,
        size_band_codes=SIZE_BANDS,
        region_codes=tuple(REGIONS),
        assurance=(rng.random(rows) < 0.25).astype(np.int8),
        scores=scores,
        levels=levels,
        carried_over=rng.random(rows) < CARRIED_SHARE,
    )
    return population, layout


def snapshot_rate(rows: int, *, seconds: float = 1.0, read_cohorts: bool = False) -> float:
    """Build snapshots of a random population until `seconds` of CPU; return organisations per CPU-second.

    With `read_cohorts`, the timing also makes every cohort's CohortStats and every FigureStats
    (build_snapshot leaves them to the first read; sparse histograms stay unmade until read).
    One build first, untimed: a fresh process pays once to fault in memory it never touched.
    """
    population, layout = realistic_population(rows)
    build_snapshot(population, layout, min_cohort_size=MIN_COHORT_SIZE)
    builds, started = 0, time.process_time()
    while not builds or time.process_time() - started < seconds:
        snapshot = build_snapshot(population, layout, min_cohort_size=MIN_COHORT_SIZE)
        if read_cohorts:
            for cohort in snapshot.cohorts.values():
                for _ in cohort.figures.values():
                    pass
        builds += 1
    return builds * rows / (time.process_time() - started)


def measure_snapshot(rows: int, *, read_cohorts: bool = False) -> float:
    """Return build_snapshot's organisations per CPU-second on one core, in a child process."""
    # The population is scored by the engine's matmuls: a child pinned to one BLAS thread keeps
    # "one core" true (build_snapshot itself uses no BLAS) and frees the population's memory after.
    pinned = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    code = (
        "from dimm.bench.benchmark_stats import snapshot_rate; "
        f"print(snapshot_rate({rows}, read_cohorts={read_cohorts}))"
    )
    child = subprocess.run(
        [sys.executable, "-c", code], env=pinned, capture_output=True, text=True, check=True
    )
    return float(child.stdout.strip().splitlines()[-1])
