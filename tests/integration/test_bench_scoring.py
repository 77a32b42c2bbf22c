"""The scoring benchmark in a test-sized form: run again and again, it never hangs."""

from __future__ import annotations

import asyncio
import re

import pytest

from dimm.bench.scoring import measure_database, measure_pipeline, on_stack
from dimm.bench.stack import BenchTarget
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
RUNS, EVENTS, PATIENCE_SECONDS = 3, 25, 120


class TestScoringBenchmark:
    async def test_the_pipeline_measurement_finishes_every_time(self, backend: Backend) -> None:
        target = BenchTarget(backend.kafka_bootstrap_servers, backend.mongodb_url, "test backend")
        for _ in range(RUNS):
            # Its warm-up submission may reach scoring before the model version it pins (another
            # partition): it must wait for it, never be dead-lettered and hang the measurement.
            rate, p50, p99 = await asyncio.wait_for(measure_pipeline(target, EVENTS), PATIENCE_SECONDS)
            assert rate > 0
            assert 0 <= p50 <= p99


class TestDatabaseAlone:
    async def test_every_submission_is_written_in_batches(self, backend: Backend) -> None:
        target = BenchTarget(backend.kafka_bootstrap_servers, backend.mongodb_url, "test backend")
        rate = await measure_database(target, 25, batch=10)
        assert rate.operations == 25
        assert rate.per_second > 0

    async def test_the_run_prints_the_pipeline_against_the_database(self, backend: Backend) -> None:
        target = BenchTarget(backend.kafka_bootstrap_servers, backend.mongodb_url, "test backend")
        lines: list[str] = []
        await asyncio.wait_for(on_stack(target, EVENTS, lines.append), PATIENCE_SECONDS)
        [ratio] = [line for line in lines if "ratio" in line]
        assert re.search(r"pipeline/database \d+\.\d\d \(goal ≥ 0\.50: (met|NOT met)\)", ratio), ratio
        assert any("database alone" in line for line in lines)
