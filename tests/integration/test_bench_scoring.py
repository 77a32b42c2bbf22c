"""The scoring benchmark in a test-sized form: run again and again, it never hangs."""

from __future__ import annotations

import asyncio

import pytest

from dimm.bench.scoring import measure_pipeline
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
