"""HTTP routes of the benchmark: an organisation among its peers, cohorts, snapshots, contribution."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.benchmark.domain.accounts import PREMIUM_ADDS
from services.benchmark.domain.cohorts import Assurance
from services.benchmark.entrypoints.dependencies import Caller, UoW
from services.benchmark.entrypoints.schemas import (
    CohortView,
    ContributionBody,
    ContributionView,
    PeersView,
    PositionView,
    SnapshotView,
    cohort_key,
)
from services.benchmark.service_layer import contribution, positions
from services.benchmark.service_layer.snapshots import DEFAULT_MODEL
from shared.http import problem_responses

router = APIRouter(prefix="/v1", tags=["benchmark"])
_PROBLEM = problem_responses(401, 403, 404, 422, 503)
Code = Annotated[str | None, Query(max_length=64)]


@router.get(
    "/organisations/{organisation_id}/position",
    response_model=PositionView,
    responses=_PROBLEM,
    operation_id="getPosition",
)
async def position(organisation_id: str, caller: Caller, uow: UoW) -> PositionView:
    """Where the organisation stands among all organisations, and its sector's median (every plan)."""
    standing = await positions.position(caller, organisation_id, uow=uow)
    return PositionView(
        organisation_id=organisation_id,
        plan=standing.plan,
        snapshot=SnapshotView.of(standing.snapshot),
        contributing=standing.member.contributing,
        all_organisations=CohortView.placed(standing.cohorts[0]) if standing.cohorts else None,
        sector=standing.member.sector,
        sector_median=standing.sector_median,
        premium_adds=None if standing.plan == "premium" else PREMIUM_ADDS,
    )


@router.get(
    "/organisations/{organisation_id}/peers",
    response_model=PeersView,
    responses=_PROBLEM,
    operation_id="getPeers",
)
async def peers(organisation_id: str, caller: Caller, uow: UoW, assurance: Assurance = "all") -> PeersView:
    """Every cohort the organisation belongs to, finest first, with its rank in each (premium)."""
    standing = await positions.standing(caller, organisation_id, assurance=assurance, uow=uow)
    return PeersView(
        organisation_id=organisation_id,
        snapshot=SnapshotView.of(standing.snapshot),
        contributing=standing.member.contributing,
        sector_median=standing.sector_median,
        cohorts=[CohortView.placed(p) for p in standing.cohorts],
    )


@router.put(
    "/organisations/{organisation_id}/contribution",
    response_model=ContributionView,
    responses=_PROBLEM,
    operation_id="setContribution",
)
async def set_contribution(
    organisation_id: str, body: ContributionBody, caller: Caller, uow: UoW
) -> ContributionView:
    """Opt out of the statistics (or back in) from the next snapshot; the benchmark stays visible."""
    member = await contribution.set_contribution(caller, organisation_id, body.contributing, uow=uow)
    return ContributionView(organisation_id=organisation_id, contributing=member.contributing)


@router.get("/cohorts", response_model=CohortView, responses=_PROBLEM, operation_id="getCohort")
async def get_cohort(
    caller: Caller,
    uow: UoW,
    assurance: Assurance = "all",
    sector: Code = None,
    size_band: Code = None,
    region: Code = None,
    model_id: Annotated[str, Query(max_length=64)] = DEFAULT_MODEL,
    figure: Annotated[str | None, Query(max_length=64, description="With `score`: rank it.")] = None,
    score: Annotated[
        float | None, Query(ge=0, le=5, description="A value whose percentile rank to give.")
    ] = None,
) -> CohortView:
    """Any cohort of the current snapshot (premium); leave a dimension out for all its values.

    With `figure` and `score`, the figure also says where that score would stand (percentile rank).
    """
    key = cohort_key(assurance, sector, size_band, region)
    ranking = figure is not None and score is not None
    _, stats = await positions.cohort(caller, key, model_id=model_id, uow=uow, ranking=ranking)
    if figure is not None and score is not None:
        return CohortView.placed(positions.place(stats, {figure: score}))
    return CohortView.of(stats)


@router.get(
    "/snapshots/latest", response_model=SnapshotView, responses=_PROBLEM, operation_id="getLatestSnapshot"
)
async def latest_snapshot(
    caller: Caller, uow: UoW, model_id: Annotated[str, Query(max_length=64)] = DEFAULT_MODEL
) -> SnapshotView:
    """The snapshot the figures come from: its date, its model version and its k."""
    return SnapshotView.of(await positions.latest_snapshot(model_id, uow=uow))
