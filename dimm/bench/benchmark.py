"""`dimm bench benchmark`: snapshots built in memory and through the database, cohort queries, updates."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from dimm.bench.benchmark_db import (
    SEED_BATCH,
    Latency,
    QueryLatency,
    StoredSnapshot,
    measure_query_latency,
    measure_stored_snapshot,
)
from dimm.bench.benchmark_events import measure_updates
from dimm.bench.benchmark_stats import MIN_COHORT_SIZE, SNAPSHOT_GOAL, measure_snapshot
from dimm.bench.stack import bench_target
from shared.logging import configure_logging

BUILD_SIZES = (1_000, 100_000, 1_000_000)
STORED_SIZE = 10_000
QUERY_SIZES = (1_000, 1_000_000)
LATENCY_GOAL = 1.5

Echo = Callable[[str], None]


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def measure_builds(sizes: tuple[int, ...]) -> list[tuple[int, float]]:
    """Return, per population size, build_snapshot's organisations per CPU-second on one core."""
    return [(rows, measure_snapshot(rows)) for rows in sizes]


def print_builds(builds: list[tuple[int, float]], echo: Echo) -> None:
    """Print each build's time and rate against the goal."""
    echo(f"  build in memory, one core (BLAS on 1 thread, CPU time); goal ≥ {SNAPSHOT_GOAL:,} orgs/s")
    for rows, rate in builds:
        echo(
            f"  build     {rows:>9,} orgs {rows / rate:8.3f} s {rate:12,.0f} orgs/s"
            f"   goal {_verdict(rate >= SNAPSHOT_GOAL)}"
        )


def print_stored(stored: StoredSnapshot, echo: Echo) -> None:
    """Print the seeding and take_snapshot figures (no goal set for either)."""
    echo(
        f"  seed      {stored.organisations:>9,} members {stored.seed_seconds:6.1f} s"
        f" {stored.organisations / stored.seed_seconds:8,.0f} members/s"
        f"  (member repository, one transaction per {SEED_BATCH}; no goal set)"
    )
    echo(
        f"  snapshot  {stored.organisations:>9,} orgs {stored.snapshot_seconds:8.1f} s"
        f" {stored.organisations / stored.snapshot_seconds:12,.0f} orgs/s"
        f"  take_snapshot: read, re-score, build, write {stored.cohorts:,} cohorts, commit with its"
        " outbox row (no goal set)"
    )


def _ms(latency: Latency) -> str:
    return f"p50 {latency.p50_ms:7.1f} ms  p99 {latency.p99_ms:7.1f} ms"


def print_queries(found: QueryLatency, sizes: tuple[int, int], *, queries: int, echo: Echo) -> None:
    """Print each query's p50/p99 at both sizes, the ratios, and the goal."""
    small, large = (f"{size:,}" for size in sizes)
    echo(
        f"  stored    {sizes[1]:>9,} orgs {found.large_write_seconds:8.1f} s"
        f"  built in memory, {found.large_cohorts:,} cohorts written through the snapshot repository"
    )
    echo(
        f"  queries   through the use cases, {queries:,} timed per kind and size, {small} and {large} in turn"
        ": positions.cohort (random keys present in both; shown in both), positions.standing (8 cohorts)"
    )
    for name, (at_small, at_large) in found.latencies.items():
        p50, p99 = at_large.p50_ms / at_small.p50_ms, at_large.p99_ms / at_small.p99_ms
        echo(f"  {name:<13} at {small:>9}: {_ms(at_small)}   at {large}: {_ms(at_large)}")
        echo(
            f"  {'':<13} ratio p50 {p50:.2f}  p99 {p99:.2f}   goal ≤ {LATENCY_GOAL} at {large}:"
            f" {_verdict(max(p50, p99) <= LATENCY_GOAL)}"
        )


async def _on_stack(*, events: int, queries: int, echo: Echo) -> None:
    """Run the measurements that need the broker and the database."""
    with bench_target() as target:
        echo(f"  on {target.description}; one benchmark database per measurement, dropped after")
        print_stored(await measure_stored_snapshot(target, STORED_SIZE), echo)
        found = await measure_query_latency(target, *QUERY_SIZES, queries=queries)
        print_queries(found, QUERY_SIZES, queries=queries, echo=echo)
        rate = await measure_updates(target, events)
        echo(
            f"  updates   {rate:10,.0f} scored events/s counted by the running service"
            f" ({events:,} events after their organisations' registrations; no goal set)"
        )


def run_benchmark_bench(*, events: int, queries: int, echo: Echo) -> None:
    """Run the benchmark-service benchmark and print its figures."""
    configure_logging(service="bench", level="WARNING")
    echo(
        "dimm bench benchmark: latest DIMM v2 scorecards of random organisations (18 sectors, 4 sizes,"
        f" 19 regions, both assurances, ~10 % quick profiles, ~10 % carried over), k = {MIN_COHORT_SIZE}"
    )
    # In memory first, before the embedded stack's processes share the machine.
    print_builds(measure_builds(BUILD_SIZES), echo)
    asyncio.run(_on_stack(events=events, queries=queries, echo=echo))
