"""A snapshot is published in parts small enough for any broker, and scoring puts them back together."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dimm.bench.benchmark_stats import realistic_population
from services.benchmark.domain.publications import SnapshotRecord
from services.benchmark.domain.snapshots import build_snapshot
from services.scoring.adapters.memory import MemoryScoringUnitOfWork
from services.scoring.service_layer.peers import keep_snapshot
from shared.events.contracts.benchmark import SnapshotPublished
from shared.events.envelope import encode, new_envelope

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
#: What Kafka accepts by default per record (aiokafka checks before compression).
BROKER_LIMIT = 1_048_576


def _parts(rows: int) -> list[SnapshotPublished]:
    population, layout = realistic_population(rows)
    snapshot = build_snapshot(population, layout, min_cohort_size=5)
    record = SnapshotRecord.publish(snapshot, model_id="dimm", model_version="2.0.0", at=NOW)
    events = [r.event for r in record.pull_events()]
    assert all(isinstance(e, SnapshotPublished) for e in events)
    return events  # type: ignore[return-value]


class TestParts:
    def test_every_part_of_a_large_snapshot_fits_in_a_record(self) -> None:
        parts = _parts(50_000)
        assert len(parts) > 1
        for part in parts:
            record = encode(new_envelope(part, source="/dimm/benchmark", subject="dimm@2.0.0"))
            assert len(record.value) < BROKER_LIMIT // 2

    def test_the_parts_together_hold_every_cohort_once_with_the_same_snapshot(self) -> None:
        population, layout = realistic_population(5_000)
        snapshot = build_snapshot(population, layout, min_cohort_size=5)
        record = SnapshotRecord.publish(snapshot, model_id="dimm", model_version="2.0.0", at=NOW)
        parts = [r.event for r in record.pull_events()]
        keys = [
            (c.sector, c.size_band, c.region)
            for p in parts
            if isinstance(p, SnapshotPublished)
            for c in p.cohorts
        ]
        expected = {(k.sector, k.size_band, k.region) for k in snapshot.cohorts if k.assurance == "all"}
        assert sorted(keys, key=str) == sorted(expected, key=str)
        assert {(p.snapshot_id, p.parts) for p in parts if isinstance(p, SnapshotPublished)} == {
            (record.snapshot_id, len(parts))
        }
        assert [p.part for p in parts if isinstance(p, SnapshotPublished)] == list(range(1, len(parts) + 1))


@pytest.mark.asyncio
class TestScoringAssemblesTheParts:
    async def test_parts_of_one_snapshot_add_up_and_a_newer_one_starts_again(self) -> None:
        uow = MemoryScoringUnitOfWork()
        parts = _parts(3_000)
        for part in parts:
            await keep_snapshot(part, uow)
        kept = uow.peer_cohorts.snapshots[("dimm", "2.0.0")]
        assert len(kept.cohorts) == sum(len(p.cohorts) for p in parts)
        newer = parts[0].model_copy(
            update={"taken_at": datetime(2026, 11, 30, tzinfo=UTC), "snapshot_id": "next"}
        )
        await keep_snapshot(newer, uow)
        assert len(uow.peer_cohorts.snapshots[("dimm", "2.0.0")].cohorts) == len(parts[0].cohorts)
        await keep_snapshot(parts[-1], uow)  # a late part of the older snapshot changes nothing
        assert uow.peer_cohorts.snapshots[("dimm", "2.0.0")].snapshot_id == "next"
