"""HTTP routes of the scoring service."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Response

from services.scoring.domain.views import present, rounded
from services.scoring.entrypoints.dependencies import Caller, UoW
from services.scoring.entrypoints.schemas import (
    HistoryPoint,
    HistoryView,
    ProgressView,
    ScorecardView,
    SimulationBody,
)
from services.scoring.service_layer import scorecards as cases
from shared.http import problem_responses
from shared.openapi import CsvResponse

router = APIRouter(prefix="/v1", tags=["scorecards"])
_PROBLEM = problem_responses(401, 403, 404, 422)


def _view(scored: cases.ScoredView) -> ScorecardView:
    return ScorecardView.model_validate(
        present(scored.card, scored.model, scored.record, scored.progress, scored.comparison)
    )


@router.get(
    "/diagnostics/{diagnostic_id}/scorecard",
    response_model=ScorecardView,
    responses=_PROBLEM,
    operation_id="getScorecard",
)
async def get_scorecard(diagnostic_id: str, caller: Caller, uow: UoW) -> ScorecardView:
    """Return the scorecard of a submitted diagnostic (404 until it is scored)."""
    return _view(await cases.scorecard(caller, diagnostic_id, uow=uow))


@router.post(
    "/diagnostics/{diagnostic_id}/simulations",
    response_model=ScorecardView,
    responses=_PROBLEM,
    operation_id="simulateScorecard",
)
async def simulate(diagnostic_id: str, body: SimulationBody, caller: Caller, uow: UoW) -> ScorecardView:
    """Return the scorecard that changed levels would give, to weigh a roadmap (nothing is stored)."""
    return _view(await cases.simulate(caller, diagnostic_id, body.levels, uow=uow))


@router.get(
    "/organisations/{organisation_id}/history",
    response_model=HistoryView,
    responses=_PROBLEM,
    operation_id="getScoreHistory",
)
async def history(organisation_id: str, caller: Caller, uow: UoW) -> HistoryView:
    """Return an organisation's scores over time and its progress since the previous diagnostic."""
    records, progress = await cases.history(caller, organisation_id, uow=uow)
    return HistoryView(
        organisation_id=organisation_id,
        points=[
            HistoryPoint(
                diagnostic_id=r.diagnostic_id,
                assessed_at=r.assessed_at,
                submitted_at=r.submitted_at,
                model_version=r.model_version,
                scope=r.scope,
                overall=rounded(r.overall),
                levers={k: rounded(v) for k, v in r.levers.items()},
                percent_to_target=round(r.percent_to_target * 100, 2),
                assurance=r.assurance,
            )
            for r in records
        ],
        progress=None
        if progress is None
        else ProgressView(
            previous_diagnostic_id=progress.previous_diagnostic_id,
            previous_assessed_at=progress.previous_assessed_at,
            overall=rounded(progress.overall),
            levers={k: rounded(v) for k, v in progress.levers.items()},
        ),
    )


@router.get(
    "/diagnostics/{diagnostic_id}/export.json",
    response_model=ScorecardView,
    responses=_PROBLEM,
    operation_id="exportScorecardJson",
)
async def export_json(diagnostic_id: str, caller: Caller, uow: UoW) -> ScorecardView:
    """Export the scorecard as JSON."""
    return await get_scorecard(diagnostic_id, caller, uow)


@router.get(
    "/diagnostics/{diagnostic_id}/export.csv",
    response_class=CsvResponse,
    responses=_PROBLEM,
    operation_id="exportScorecardCsv",
)
async def export_csv(diagnostic_id: str, caller: Caller, uow: UoW) -> Response:
    """Export one row per indicator: level, target, gap, advice, coefficient, contribution."""
    view = _view(await cases.scorecard(caller, diagnostic_id, uow=uow))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "lever",
            "groupement",
            "indicator",
            "name",
            "coefficient",
            "level",
            "not_applicable",
            "target",
            "gap",
            "advice",
            "contribution",
        ]
    )
    for i in view.indicators:
        writer.writerow(
            [
                i.lever,
                i.groupement,
                i.code,
                i.name,
                i.coefficient,
                "" if i.level is None else i.level,
                i.not_applicable,
                i.target,
                "" if i.gap is None else i.gap,
                i.advice_label or "",
                i.contribution,
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{diagnostic_id}-scorecard.csv"'},
    )
