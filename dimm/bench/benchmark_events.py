"""Incremental updates: scored events → the running benchmark service → organisations counted."""

from __future__ import annotations

import asyncio
import time
import uuid

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from dimm.bench.benchmark_seed import entry_of, registered_event, scored_event
from dimm.bench.benchmark_stats import realistic_population
from dimm.bench.produce import produce
from dimm.bench.stack import BenchTarget
from services.benchmark.app import create_app
from services.benchmark.settings import BenchmarkSettings
from shared.events.envelope import Event
from shared.messaging.topics import events_topic

PATIENCE_SECONDS = 300.0


async def _produce(target: BenchTarget, service: str, events: list[tuple[Event, str]]) -> None:
    """Send events to a service's topic as that service's relay would, pipelined."""
    await produce(
        target.kafka_bootstrap_servers,
        events_topic(service),
        events,
        service=service,
        client_id="dimm-bench-benchmark",
    )


def _processed(registry: CollectorRegistry) -> float:
    """Return how many events the consumer committed (its own metric)."""
    value = registry.get_sample_value("dimm_consumer_events_total", {"outcome": "processed"})
    return value or 0.0


async def _counted(app: FastAPI, run: str) -> int:
    """Count the members whose latest diagnostic is one of this run's."""
    db = app.state.deps.runtime.db
    found: int = await db["members"].count_documents({"latest._id": {"$regex": f"^dg_{run}_"}})
    return found


async def _until(app: FastAPI, processed: float, *, run: str | None, events: int) -> None:
    """Wait until the consumer committed `processed` events (and, given a run, counted all of its)."""
    registry, deadline = app.state.deps.registry, time.monotonic() + PATIENCE_SECONDS
    while _processed(registry) < processed or (run is not None and await _counted(app, run) < events):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the benchmark service did not count {events} events in {PATIENCE_SECONDS}s")
        await asyncio.sleep(0.01)


async def measure_updates(target: BenchTarget, events: int) -> float:
    """Produce `events` scored events to the running service; return scored events counted per second."""
    # Their organisations' registrations go first, untimed: the consumer has joined its group and
    # every organisation is known before the clock starts, as in production.
    run = uuid.uuid4().hex[:8]
    population, _ = realistic_population(events, seed=11)
    entries = [entry_of(population, row, run=run) for row in range(events)]
    registered: list[tuple[Event, str]] = [(registered_event(e), e.organisation_id) for e in entries]
    scored: list[tuple[Event, str]] = [(scored_event(e), e.organisation_id) for e in entries]
    settings = BenchmarkSettings(
        environment="test",
        kafka_bootstrap_servers=target.kafka_bootstrap_servers,
        mongodb_url=target.mongodb_url,
        mongodb_database=f"bench_benchmark_{run}_events",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        registry = app.state.deps.registry
        base = _processed(registry)
        await _produce(target, "assessment", registered)
        await _until(app, base + events, run=None, events=events)
        started, base = time.perf_counter(), _processed(registry)
        await _produce(target, "scoring", scored)
        await _until(app, base + events, run=run, events=events)
        elapsed = time.perf_counter() - started
        await app.state.deps.runtime.client.drop_database(settings.mongodb_database)
    return events / elapsed
