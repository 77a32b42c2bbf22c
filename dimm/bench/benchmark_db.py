"""Snapshots through the database: seed then take one, and cohort queries at two population sizes."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from dimm.bench.benchmark_seed import (
    ACCOUNT,
    CURRENT,
    BenchDatabase,
    entry_of,
    member_of,
    sample_rows,
    seed_members,
)
from dimm.bench.benchmark_stats import MIN_COHORT_SIZE, realistic_population
from dimm.bench.bus import percentile
from dimm.bench.stack import BenchTarget
from services.benchmark.domain.cohorts import CohortKey
from services.benchmark.domain.figures import FigureLayout
from services.benchmark.domain.population import Population
from services.benchmark.domain.publications import SnapshotRecord
from services.benchmark.domain.snapshots import build_snapshot
from services.benchmark.service_layer import positions
from services.benchmark.service_layer.snapshots import DEFAULT_MODEL, take_snapshot
from shared.auth import SCOPES, Principal
from shared.mongo import Client, create_client, utc_now

SEED_BATCH = 500
STANDING_SAMPLE = 200
PRINCIPAL = Principal(ACCOUNT, frozenset(SCOPES), "premium", "tok_bench")


@dataclass(frozen=True)
class StoredSnapshot:
    """Seeding members, then take_snapshot read them, re-scored, built and wrote every cohort."""

    organisations: int
    seed_seconds: float
    snapshot_seconds: float
    cohorts: int


@dataclass(frozen=True)
class Latency:
    """Milliseconds per query, p50 and p99."""

    p50_ms: float
    p99_ms: float

    @classmethod
    def of(cls, samples: list[float]) -> Latency:
        """Return the p50 and p99 of samples in milliseconds."""
        return cls(percentile(samples, 0.5), percentile(samples, 0.99))


@dataclass(frozen=True)
class QueryLatency:
    """Latency per kind of query against a small and a large stored snapshot; writing the large one."""

    latencies: dict[str, tuple[Latency, Latency]]
    """`cohort` (random keys present in both), `shown cohort` (shown in both), `standing`."""
    large_cohorts: int
    large_write_seconds: float


def _client(target: BenchTarget) -> Client:
    return create_client(target.mongodb_url, app_name="dimm-bench-benchmark", timeout_ms=60_000)


async def measure_stored_snapshot(target: BenchTarget, rows: int) -> StoredSnapshot:
    """Seed `rows` members in batches, then time take_snapshot on them (read, re-score, build, write)."""
    population, _ = realistic_population(rows)
    run = uuid.uuid4().hex[:8]
    members = [member_of(entry_of(population, row, run=run)) for row in range(rows)]
    client = _client(target)
    database = BenchDatabase(client, f"bench_benchmark_{run}_snapshot")
    try:
        await database.create()
        started = time.perf_counter()
        await seed_members(database.unit_of_work(), members, batch=SEED_BATCH)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        record = await take_snapshot(
            DEFAULT_MODEL, uow=database.unit_of_work(), min_cohort_size=MIN_COHORT_SIZE
        )
        taken = time.perf_counter() - started
        assert record.snapshot is not None
        return StoredSnapshot(record.organisations, seeded, taken, len(record.snapshot.cohorts))
    finally:
        await database.drop()
        await client.close()


@dataclass(frozen=True)
class _Stored:
    """A stored snapshot: its database, its cohorts, organisations placed in it."""

    database: BenchDatabase
    keys: frozenset[CohortKey]
    shown: frozenset[CohortKey]
    organisations: list[str]
    write_seconds: float


async def _store(
    client: Client, population: Population, layout: FigureLayout, *, run: str, sample: int
) -> _Stored:
    """Build a snapshot in memory and publish it through the snapshot repository, with some members."""
    snapshot = build_snapshot(population, layout, min_cohort_size=MIN_COHORT_SIZE)
    record = SnapshotRecord.publish(snapshot, model_id=DEFAULT_MODEL, model_version=CURRENT, at=utc_now())
    database = BenchDatabase(client, f"bench_benchmark_{run}_{len(population)}")
    await database.create()
    members = [member_of(entry_of(population, row, run=run)) for row in sample_rows(population, sample)]
    await seed_members(database.unit_of_work(), members, batch=SEED_BATCH)
    uow, started = database.unit_of_work(), time.perf_counter()
    async with uow:
        await uow.snapshots.add(record)
        uow.collect(record)
        await uow.commit()
    elapsed = time.perf_counter() - started
    shown = frozenset(key for key, cohort in snapshot.cohorts.items() if not cohort.withheld)
    organisations = [m.organisation_id for m in members]
    return _Stored(database, frozenset(snapshot.cohorts), shown, organisations, elapsed)


Query = Callable[[_Stored, random.Random], Awaitable[object]]


def _cohort(keys: frozenset[CohortKey]) -> Query:
    """Return a query of a random cohort among `keys` (sorted: the same draws give the same keys)."""
    ordered = sorted(keys, key=lambda key: key.sort_key)

    async def query(stored: _Stored, rng: random.Random) -> object:
        key = rng.choice(ordered)
        return await positions.cohort(
            PRINCIPAL, key, model_id=DEFAULT_MODEL, uow=stored.database.unit_of_work()
        )

    return query


async def _standing(stored: _Stored, rng: random.Random) -> object:
    organisation = rng.choice(stored.organisations)
    return await positions.standing(
        PRINCIPAL, organisation, assurance="all", uow=stored.database.unit_of_work()
    )


async def _latencies(pair: tuple[_Stored, _Stored], query: Query, queries: int) -> tuple[Latency, Latency]:
    """Time queries against both snapshots in turn (same random draws for each), after a warm-up."""
    samples: tuple[list[float], list[float]] = ([], [])
    for i in range(queries + queries // 10 + 1):
        for stored, found in zip(pair, samples, strict=True):
            rng = random.Random(i)
            started = time.perf_counter()
            await query(stored, rng)
            if i > queries // 10:
                found.append((time.perf_counter() - started) * 1000)
    return Latency.of(samples[0]), Latency.of(samples[1])


async def measure_query_latency(
    target: BenchTarget, small: int, large: int, *, queries: int, sample: int = STANDING_SAMPLE
) -> QueryLatency:
    """Store snapshots of `small` and `large` organisations; time cohort and standing queries on each."""
    run, client = uuid.uuid4().hex[:8], _client(target)
    stored: list[_Stored] = []
    try:
        for rows in (small, large):
            population, layout = realistic_population(rows)
            stored.append(await _store(client, population, layout, run=run, sample=sample))
            del population
        pair = (stored[0], stored[1])
        kinds = {
            "cohort": _cohort(pair[0].keys & pair[1].keys),
            "shown cohort": _cohort(pair[0].shown & pair[1].shown),
            "standing": _standing,
        }
        latencies = {name: await _latencies(pair, query, queries) for name, query in kinds.items()}
        return QueryLatency(latencies, len(pair[1].keys), pair[1].write_seconds)
    finally:
        for s in stored:
            await s.database.drop()
        await client.close()
