"""HTTP route of report links: a fresh link to a diagnostic's report, for a browser or a colleague."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from services.assessment.entrypoints.dependencies import Caller, Deps, UoW
from services.assessment.service_layer import report_links as cases
from shared.http import problem_responses

router = APIRouter(prefix="/v1", tags=["diagnostics"])


class ReportLinkView(BaseModel):
    """A link that opens one diagnostic's report (HTML, or PDF) until it expires, and nothing else."""

    diagnostic_id: str
    url: str = Field(description="The report's path with its token, to open in a browser behind the gateway.")
    pdf_url: str = Field(description="The same report as a PDF file.")
    expires_at: datetime
    expires_in: int = Field(description="Seconds the link stays valid.")


@router.post(
    "/diagnostics/{diagnostic_id}/report-link",
    status_code=201,
    response_model=ReportLinkView,
    responses=problem_responses(401, 403, 404, 409),
    operation_id="createReportLink",
)
async def create_report_link(
    diagnostic_id: str, caller: Caller, uow: UoW, deps: Deps, response: Response
) -> ReportLinkView:
    """Issue a short-lived link to a submitted diagnostic's report; its token opens that report only."""
    link = await cases.issue(caller, diagnostic_id, uow=uow, issuer=deps.issuer, ttl=deps.report_link_ttl)
    response.headers["Cache-Control"] = "no-store"
    path, query = link.path.split("?", 1)
    return ReportLinkView(
        diagnostic_id=diagnostic_id,
        url=link.path,
        pdf_url=f"{path}.pdf?{query}",
        expires_at=link.expires_at,
        expires_in=int(deps.report_link_ttl.total_seconds()),
    )
