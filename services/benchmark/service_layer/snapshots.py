"""Use cases of snapshots: cohort statistics are published on a schedule, never live."""

from __future__ import annotations

import logging

from services.benchmark.domain.counting import population_of
from services.benchmark.domain.publications import SnapshotRecord
from services.benchmark.domain.snapshots import build_snapshot
from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from shared.errors import Conflict, ServiceUnavailable
from shared.mongo import utc_now
from shared.unit_of_work import transactional

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "dimm"


@transactional
async def take_snapshot(model_id: str, *, uow: BenchmarkUnitOfWork, min_cohort_size: int) -> SnapshotRecord:
    """Compute every cohort of a model's current version from the latest diagnostics, and publish it."""
    model = await uow.model_versions.latest(model_id)
    if model is None:
        raise ServiceUnavailable(f"No version of the model {model_id!r} is known here yet.")
    population, layout = population_of(await uow.members.contributing(model_id), model)
    snapshot = build_snapshot(population, layout, min_cohort_size=min_cohort_size)
    if snapshot.organisations < min_cohort_size:
        # Even its total would describe fewer than k organisations: nothing can be published yet.
        raise Conflict(
            f"{snapshot.organisations} organisation(s) contribute to {model.ref}; a snapshot needs at least "
            f"{min_cohort_size}."
        )
    record = SnapshotRecord.publish(
        snapshot, model_id=model.model_id, model_version=model.version, at=utc_now()
    )
    async with uow:
        await uow.snapshots.add(record)
        uow.collect(record)
        await uow.commit()
    logger.info(
        "snapshot %s: %d organisations, %d cohorts",
        record.snapshot_id,
        snapshot.organisations,
        len(snapshot.cohorts),
    )
    return record
