"""HTTP routes of the assessment service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, status

from services.assessment.entrypoints.dependencies import Deps, UoW, require_operator
from services.assessment.entrypoints.schemas import ProbeBatchView, ProbeRequestBody, ProbeView
from services.assessment.service_layer import probes as probe_cases
from shared.errors import InvalidInput

# Operator-only, checked before anything else is resolved.
router = APIRouter(prefix="/v1/ops", tags=["operations"], dependencies=[Depends(require_operator)])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


@router.post(
    "/probes",
    status_code=status.HTTP_201_CREATED,
    response_model=ProbeBatchView,
    responses={401: _PROBLEM, 403: _PROBLEM, 422: _PROBLEM},
    operation_id="requestProbes",
)
async def request_probes(body: ProbeRequestBody, deps: Deps) -> ProbeBatchView:
    """Send probes through every service; each answer comes back as an event."""
    if body.count > deps.settings.probe_burst_max:
        raise InvalidInput(f"At most {deps.settings.probe_burst_max} probes at once.")
    created = await probe_cases.request_probes(body.count, unit_of_work=deps.runtime.unit_of_work)
    return ProbeBatchView(probes=[ProbeView.of(p) for p in created])


@router.get(
    "/probes/{probe_id}",
    response_model=ProbeView,
    responses={401: _PROBLEM, 404: _PROBLEM},
    operation_id="getProbe",
)
async def get_probe(probe_id: str, uow: UoW) -> ProbeView:
    """Return a probe and the answers received so far."""
    return ProbeView.of(await probe_cases.get_probe(probe_id, uow=uow))
