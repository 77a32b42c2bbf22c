"""Operator routes of the benchmark: take a snapshot now (the schedule takes one daily)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.benchmark.entrypoints.dependencies import Deps, UoW, require_operator
from services.benchmark.entrypoints.schemas import SnapshotView
from services.benchmark.service_layer.snapshots import DEFAULT_MODEL, take_snapshot
from shared.http import problem_responses

router = APIRouter(prefix="/v1/ops", tags=["operations"], dependencies=[Depends(require_operator)])


@router.post(
    "/snapshots",
    status_code=201,
    response_model=SnapshotView,
    responses=problem_responses(401, 403, 409, 503),
    operation_id="publishSnapshot",
)
async def snapshot_now(
    uow: UoW, deps: Deps, model_id: Annotated[str, Query(max_length=64)] = DEFAULT_MODEL
) -> SnapshotView:
    """Take and publish a snapshot of a model's cohorts now (operator)."""
    record = await take_snapshot(model_id, uow=uow, min_cohort_size=deps.settings.min_cohort_size)
    return SnapshotView.of(record)
