"""HTTP routes of the report: the HTML page a browser opens, and the same page printed as PDF."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from services.scoring.domain.views import present
from services.scoring.entrypoints.dependencies import Deps, UoW
from services.scoring.entrypoints.report import render_report
from services.scoring.entrypoints.report_access import BrowserPageRoute, ReportReader
from services.scoring.entrypoints.schemas import ScorecardView
from services.scoring.service_layer import scorecards as cases
from shared.auth import Principal
from shared.http import problem_responses

router = APIRouter(prefix="/v1", tags=["reports"], route_class=BrowserPageRoute)
_REFUSALS = {
    **problem_responses(401, 403, 404, 422, 503),
    401: {"content": {"application/problem+json": {}, "text/html": {}}, "description": "No valid token"},
}


async def _report_view(reader: Principal, diagnostic_id: str, uow: UoW) -> ScorecardView:
    scored = await cases.scorecard(reader, diagnostic_id, uow=uow)
    return ScorecardView.model_validate(
        present(scored.card, scored.model, scored.record, scored.progress, scored.comparison)
    )


@router.get(
    "/diagnostics/{diagnostic_id}/report",
    response_class=HTMLResponse,
    responses=_REFUSALS,
    operation_id="getReport",
)
async def report(diagnostic_id: str, reader: ReportReader, uow: UoW, request: Request) -> HTMLResponse:
    """Return the report as one self-contained French page; a report link's token opens it (HTML refusals)."""
    token = request.query_params.get("access_token")
    pdf_href = "report.pdf" + (f"?{urlencode({'access_token': token})}" if token else "")
    return HTMLResponse(render_report(await _report_view(reader, diagnostic_id, uow), pdf_href=pdf_href))


@router.get(
    "/diagnostics/{diagnostic_id}/report.pdf",
    response_class=Response,
    responses={
        **_REFUSALS,
        200: {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The report as PDF",
        },
    },
    operation_id="getReportPdf",
)
async def report_pdf(diagnostic_id: str, reader: ReportReader, uow: UoW, deps: Deps) -> Response:
    """Return the report printed on A4 as PDF (503 where no headless Chromium is installed)."""
    page = render_report(await _report_view(reader, diagnostic_id, uow), printable=True)
    return Response(
        await deps.pdf.render(page),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="rapport-{diagnostic_id}.pdf"',
            "Cache-Control": "no-store",
        },
    )
