"""The benchmark-service benchmark in a test-sized form: each measurement runs once and gives figures."""

from __future__ import annotations

import asyncio

import pytest

from dimm.bench.benchmark import measure_builds, print_builds, print_queries, print_stored
from dimm.bench.benchmark_db import measure_query_latency, measure_stored_snapshot
from dimm.bench.benchmark_events import measure_updates
from dimm.bench.stack import BenchTarget
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
PATIENCE_SECONDS = 120


def _target(backend: Backend) -> BenchTarget:
    return BenchTarget(backend.kafka_bootstrap_servers, backend.mongodb_url, "test backend")


class TestBenchmarkBenchmark:
    async def test_the_in_memory_build_gives_a_rate_per_size(self) -> None:
        builds = await asyncio.to_thread(measure_builds, (300,))
        assert [rows for rows, _ in builds] == [300]
        assert builds[0][1] > 0
        lines: list[str] = []
        print_builds(builds, lines.append)
        assert any("goal" in line for line in lines)

    async def test_seeding_then_take_snapshot_through_the_database_give_times(self, backend: Backend) -> None:
        stored = await asyncio.wait_for(measure_stored_snapshot(_target(backend), 60), PATIENCE_SECONDS)
        assert stored.organisations == 60
        assert stored.seed_seconds > 0
        assert stored.snapshot_seconds > 0
        assert stored.cohorts > 0
        lines: list[str] = []
        print_stored(stored, lines.append)
        assert len(lines) == 2

    async def test_cohort_and_standing_queries_give_latencies_at_both_sizes(self, backend: Backend) -> None:
        found = await asyncio.wait_for(
            measure_query_latency(_target(backend), 40, 120, queries=5, sample=10), PATIENCE_SECONDS
        )
        assert set(found.latencies) == {"cohort", "shown cohort", "standing"}
        for small, large in found.latencies.values():
            assert 0 < small.p50_ms <= small.p99_ms
            assert 0 < large.p50_ms <= large.p99_ms
        assert found.large_cohorts > 0
        assert found.large_write_seconds > 0
        lines: list[str] = []
        print_queries(found, (40, 120), queries=5, echo=lines.append)
        assert sum("ratio" in line for line in lines) == 3

    async def test_scored_events_are_counted_by_the_running_service(self, backend: Backend) -> None:
        rate = await asyncio.wait_for(measure_updates(_target(backend), 20), PATIENCE_SECONDS)
        assert rate > 0
