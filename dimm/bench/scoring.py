"""`dimm bench scoring`: the engine alone (one card, then batches), and submitted → scored."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
from aiokafka import AIOKafkaConsumer

from dimm.bench.bus import measure_broker, percentile
from dimm.bench.limits import Rate, Writes, batched_writes, verdict
from dimm.bench.stack import BenchTarget, bench_target
from services.scoring.adapters.scorecards import scorecard_document
from services.scoring.adapters.unit_of_work import ensure_indexes as ensure_scoring_indexes
from services.scoring.app import create_app
from services.scoring.domain.scorecards import ScoredDiagnostic
from services.scoring.settings import ScoringSettings
from shared.events.contracts.assessment import DiagnosticSubmitted, OrganisationProfile
from shared.events.contracts.catalogue import ModelPublished
from shared.events.envelope import Event, encode, new_envelope
from shared.logging import configure_logging
from shared.messaging.consumer import PROCESSED_COLLECTION, PROCESSED_KEY_TTL_SECONDS
from shared.messaging.kafka import KafkaSender
from shared.messaging.outbox import OUTBOX_COLLECTION, ensure_outbox_indexes, outbox_document
from shared.messaging.topics import events_topic
from shared.model.batch import UNSCORED
from shared.model.editions import shipped_edition
from shared.model.engine import DiagnosticInput, compile_model, score
from shared.model.schema import MAX_LEVEL, MaturityModel
from shared.mongo import Database, ensure_index

ENGINE_GOAL = 20_000
#: The share of the database's own rate submitted → scored should reach.
RATIO_GOAL = 0.5
BATCH_GOAL = 1_000_000
PROFILE = OrganisationProfile(
    sector="banque", size_band="GE", region="ile-de-france", organisation_type="entreprise"
)


def _levels(model: MaturityModel, rng: random.Random) -> dict[str, int]:
    return {p.indicator.code: rng.randint(0, 5) for p in model.places()}


def measure_engine(seconds: float = 3.0, *, read_details: bool = False) -> float:
    """Score full DIMM v2 diagnostics on this thread; return scorecards per CPU-second.

    Counted: each card's scores, percent to target and roadmap order. Its indicator results and
    roadmap actions are built on first access: read only with `read_details`. The model is
    compiled once beforehand, as the service does per version.
    """
    model, rng = shipped_edition("2.0.0"), random.Random(7)
    sectors = [*(s.code for s in model.sectors), None]
    inputs = [DiagnosticInput(rng.choice(sectors), "full", _levels(model, rng)) for _ in range(2000)]
    compile_model(model)
    done, started = 0, time.process_time()
    while time.process_time() - started < seconds:
        for diagnostic in inputs:
            card = score(model, diagnostic)
            if read_details:
                _ = card.indicators, card.roadmap
        done += len(inputs)
    return done / (time.process_time() - started)


def batch_rate(rows: int, chunk: int) -> float:
    """Score random v2 diagnostics (1 indicator in 7 unanswered, any sector); return rows per CPU-second."""
    compiled = compile_model(shipped_edition("2.0.0"))
    rng = np.random.default_rng(7)
    levels = rng.integers(UNSCORED, MAX_LEVEL + 1, size=(rows, len(compiled.codes)), dtype=np.int8)
    sectors = rng.integers(0, len(compiled.sectors) + 1, size=rows)
    compiled.score_batch(levels[:chunk], sectors[:chunk])
    started = time.process_time()
    for start in range(0, rows, chunk):
        compiled.score_batch(levels[start : start + chunk], sectors[start : start + chunk])
    return rows / (time.process_time() - started)


def measure_batch(rows: int = 1_000_000, chunk: int = 100_000) -> float:
    """Score a million diagnostics in batches on one core; return diagnostics per CPU-second."""
    # OpenBLAS reads its thread count when numpy loads, which it already has here: a child process
    # pinned to one thread makes "one core" true, and its CPU time counts every thread anyway.
    pinned = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    code = f"from dimm.bench.scoring import batch_rate; print(batch_rate({rows}, {chunk}))"
    child = subprocess.run(
        [sys.executable, "-c", code], env=pinned, capture_output=True, text=True, check=True
    )
    return float(child.stdout.strip().splitlines()[-1])


async def _produce(target: BenchTarget, events: list[Event], subject: Callable[[Event], str]) -> None:
    sender = KafkaSender(target.kafka_bootstrap_servers, client_id="dimm-bench-scoring")
    await sender.start()
    try:
        futures = []
        for event in events:
            record = encode(new_envelope(event, source="/dimm/assessment", subject=subject(event)))
            futures.append(
                await sender.send(
                    events_topic("assessment"), record.value, key=record.key, headers=record.headers
                )
            )
        await asyncio.gather(*futures)
    finally:
        await sender.stop()


def _submitted(model: MaturityModel, rng: random.Random) -> DiagnosticSubmitted:
    return DiagnosticSubmitted(
        diagnostic_id="dg_" + uuid.uuid4().hex[:16],
        organisation_id="org_" + uuid.uuid4().hex[:16],
        account_id="acc_bench",
        profile=PROFILE,
        model_id=model.model_id,
        model_version=model.version,
        scope="full",
        levels=_levels(model, rng),
        not_applicable=[],
        divergences=[],
        submitted_at=datetime.now(UTC),
    )


async def _await_scored(target: BenchTarget, wanted: set[str], sent_at: dict[str, float]) -> list[float]:
    reader = AIOKafkaConsumer(
        events_topic("scoring"),
        bootstrap_servers=target.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await reader.start()
    latencies: list[float] = []
    try:
        while wanted:
            batch = await reader.getmany(timeout_ms=500)
            now = time.perf_counter()
            for record in (r for rs in batch.values() for r in rs):
                key = (record.key or b"").decode()
                if (
                    key in wanted
                    and dict(record.headers).get("ce_type") == b"dimm.scoring.diagnostic.scored.v1"
                ):
                    wanted.discard(key)
                    latencies.append((now - sent_at[key]) * 1000)
        return latencies
    finally:
        await reader.stop()


def _settings(target: BenchTarget) -> ScoringSettings:
    return ScoringSettings(
        environment="test",
        kafka_bootstrap_servers=target.kafka_bootstrap_servers,
        mongodb_url=target.mongodb_url,
        mongodb_database=f"bench_scoring_{uuid.uuid4().hex[:8]}",
    )


def _stored_rows(model: MaturityModel, submitted: DiagnosticSubmitted, *, at: datetime) -> Writes:
    """Return what scoring one submission writes: its scorecard, its processed key, its outbox row."""
    scored = ScoredDiagnostic.score(submitted, model, at=at)
    [announced] = scored.pull_events()
    envelope = new_envelope(announced.event, source="/dimm/scoring", subject=announced.subject)
    key = {"_id": f"/dimm/assessment#{uuid.uuid4()}", "type": submitted.event_type, "processed_at": at}
    return {
        "scorecards": [scorecard_document(scored)],
        PROCESSED_COLLECTION: [key],
        OUTBOX_COLLECTION: [outbox_document(envelope, events_topic("scoring"))],
    }


async def _scoring_indexes(db: Database) -> None:
    await ensure_scoring_indexes(db)
    await ensure_index(db[PROCESSED_COLLECTION], "processed_at", expireAfterSeconds=PROCESSED_KEY_TTL_SECONDS)
    await ensure_outbox_indexes(db[OUTBOX_COLLECTION], retention_seconds=3600)


async def measure_database(target: BenchTarget, events: int, *, batch: int) -> Rate:
    """Write what scoring `events` submissions stores, `batch` per transaction, directly: the limit."""
    model, rng, now = shipped_edition("2.0.0"), random.Random(13), datetime.now(UTC)
    rows = [_stored_rows(model, _submitted(model, rng), at=now) for _ in range(events)]
    batches = [
        {name: [doc for row in rows[start : start + batch] for doc in row[name]] for name in rows[0]}
        for start in range(0, events, batch)
    ]
    return await batched_writes(target, batches, indexes=_scoring_indexes)


async def measure_pipeline(target: BenchTarget, events: int) -> tuple[float, float, float]:
    """Submitted events → the scoring service → scored events; return rate, p50 and p99 (ms)."""
    model, rng = shipped_edition("2.0.0"), random.Random(11)
    app = create_app(_settings(target))
    async with app.router.lifespan_context(app):
        published = ModelPublished.of(model, at=datetime.now(UTC))
        warm = _submitted(model, rng)
        await _produce(target, [published], lambda e: "dimm")
        await _produce(target, [warm], lambda e: e.organisation_id)  # type: ignore[attr-defined]
        await _await_scored(target, {warm.organisation_id}, {warm.organisation_id: time.perf_counter()})
        submitted = [_submitted(model, rng) for _ in range(events)]
        started = time.perf_counter()
        sent_at = dict.fromkeys((s.organisation_id for s in submitted), started)
        waiting = asyncio.create_task(_await_scored(target, set(sent_at), sent_at))
        await _produce(target, list(submitted), lambda e: e.organisation_id)  # type: ignore[attr-defined]
        latencies = await waiting
        elapsed = time.perf_counter() - started
    return events / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99)


async def _run(events: int, echo: Callable[[str], None]) -> None:
    echo("dimm bench scoring: full DIMM v2 diagnostics (115 indicators)")
    # The engine first, before the embedded stack's processes share the machine.
    engine = await asyncio.to_thread(measure_engine)
    echo(
        f"  engine alone      {engine:10,.0f} scorecards/s  (one core, CPU time; goal ≥ {ENGINE_GOAL:,}):"
        " scores, percent, roadmap order"
    )
    detailed = await asyncio.to_thread(measure_engine, read_details=True)
    echo(f"  engine, all read  {detailed:10,.0f} scorecards/s  (same, every indicator and action read too)")
    batch = await asyncio.to_thread(measure_batch)
    echo(
        f"  engine batches    {batch:10,.0f} diagnostics/s (one core: BLAS on 1 thread, CPU time;"
        f" goal ≥ {BATCH_GOAL:,}): 1,000,000 in chunks of 100,000"
    )
    with bench_target() as target:
        await on_stack(target, events, echo)


async def on_stack(target: BenchTarget, events: int, echo: Callable[[str], None]) -> None:
    """Measure the broker alone, the database alone, then the pipeline; print each and the ratios."""
    echo(f"  on {target.description}")
    broker = await measure_broker(target, events)
    echo(f"  broker alone      {broker.rate:10,.0f} events/s (aiokafka produce → consume)")
    size = _settings(target).consumer_batch_size
    database = await measure_database(target, events, batch=size)
    echo(
        f"  database alone    {database.per_second:10,.0f} diagnostics/s: scorecards, processed keys"
        f" and outbox rows, {size} per transaction"
    )
    rate, p50, p99 = await measure_pipeline(target, events)
    echo(
        f"  pipeline          {rate:10,.0f} diagnostics/s submitted → scored"
        f"   p50 {p50:,.0f} ms   p99 {p99:,.0f} ms"
    )
    ratio = database.ratio(rate)
    echo(
        f"  ratio             pipeline/database {ratio:.2f} (goal ≥ {RATIO_GOAL:.2f}:"
        f" {verdict(ratio >= RATIO_GOAL)})   pipeline/broker {rate / broker.rate:.4f}"
    )


def run_scoring_bench(*, events: int, echo: Callable[[str], None]) -> None:
    """Run the scoring benchmark and print its figures."""
    configure_logging(service="bench", level="WARNING")
    asyncio.run(_run(events, echo))
