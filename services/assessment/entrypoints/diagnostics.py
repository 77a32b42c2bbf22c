"""HTTP routes of diagnostics, respondents, answers, validation, submission and exports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

from services.assessment.entrypoints.dependencies import Caller, Deps, Models, UoW
from services.assessment.entrypoints.diagnostic_schemas import (
    DiagnosticCreate,
    DiagnosticList,
    DiagnosticSummary,
    DiagnosticView,
    RespondentCreate,
    RespondentInvitation,
    RespondentView,
    SubmitBody,
    ValidationBody,
    diagnostic_view,
)
from services.assessment.entrypoints.exports import export_csv, export_json
from services.assessment.entrypoints.idempotency import IdempotencyKey, idempotent
from services.assessment.service_layer import diagnostics as cases
from shared.http import problem_responses
from shared.openapi import CsvResponse

router = APIRouter(prefix="/v1", tags=["diagnostics"])
_PROBLEM = problem_responses(401, 403, 404, 409, 422)


async def _view(caller: Caller, diagnostic_id: str, uow: UoW) -> DiagnosticView:
    return diagnostic_view(*await cases.with_answers(caller, diagnostic_id, uow=uow))


@router.post(
    "/organisations/{organisation_id}/diagnostics",
    status_code=201,
    response_model=DiagnosticView,
    responses=_PROBLEM,
    operation_id="createDiagnostic",
)
async def open_diagnostic(
    organisation_id: str,
    body: DiagnosticCreate,
    caller: Caller,
    uow: UoW,
    models: Models,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Open a draft diagnostic on a model version (the latest by default), full or on a profile."""

    async def action() -> DiagnosticView:
        record = await cases.open_diagnostic(
            caller,
            organisation_id,
            model_id=body.model_id,
            version=body.model_version,
            scope=body.scope,
            uow=uow,
            models=models,
        )
        return diagnostic_view(record, [])

    return await idempotent(
        uow.idempotency,
        scope=f"{caller.account_id}:diagnostics:{organisation_id}",
        key=key,
        payload=body,
        action=action,
    )


@router.get(
    "/organisations/{organisation_id}/diagnostics",
    response_model=DiagnosticList,
    responses=_PROBLEM,
    operation_id="listDiagnostics",
)
async def list_diagnostics(organisation_id: str, caller: Caller, uow: UoW) -> DiagnosticList:
    """List an organisation's diagnostics, oldest first."""
    records = await cases.list_for_organisation(caller, organisation_id, uow=uow)
    return DiagnosticList(
        diagnostics=[
            DiagnosticSummary(
                diagnostic_id=r.diagnostic_id,
                model_id=r.model_id,
                model_version=r.model_version,
                scope=r.scope,
                status=r.status,
                opened_at=r.opened_at,
            )
            for r in records
        ]
    )


@router.get(
    "/diagnostics/{diagnostic_id}",
    response_model=DiagnosticView,
    responses=_PROBLEM,
    operation_id="getDiagnostic",
)
async def get_diagnostic(diagnostic_id: str, caller: Caller, uow: UoW) -> DiagnosticView:
    """Return a diagnostic with its completeness per lever, consolidated levels and divergences."""
    return await _view(caller, diagnostic_id, uow)


@router.post(
    "/diagnostics/{diagnostic_id}/respondents",
    status_code=201,
    response_model=RespondentInvitation,
    responses=_PROBLEM,
    operation_id="inviteRespondent",
)
async def invite(
    diagnostic_id: str,
    body: RespondentCreate,
    caller: Caller,
    uow: UoW,
    deps: Deps,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Invite a respondent; their token lets them answer this diagnostic only."""

    async def action() -> RespondentInvitation:
        respondent, token = await cases.invite(
            caller,
            diagnostic_id,
            name=body.name,
            role=body.role,
            uow=uow,
            issuer=deps.issuer,
            ttl=deps.respondent_ttl,
        )
        return RespondentInvitation(respondent=RespondentView.of(respondent), token=token)

    return await idempotent(
        uow.idempotency,
        scope=f"{caller.account_id}:respondents:{diagnostic_id}",
        key=key,
        payload=body,
        action=action,
        holds_secret=True,
    )


@router.delete(
    "/diagnostics/{diagnostic_id}/respondents/{respondent_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_PROBLEM,
    operation_id="revokeRespondent",
)
async def revoke_respondent(diagnostic_id: str, respondent_id: str, caller: Caller, uow: UoW) -> None:
    """Withdraw a respondent's access; their answers stay."""
    await cases.revoke_respondent(caller, diagnostic_id, respondent_id, uow=uow)


@router.put(
    "/diagnostics/{diagnostic_id}/validations/{code}",
    response_model=DiagnosticView,
    responses=_PROBLEM,
    operation_id="validateIndicator",
)
async def validate(
    diagnostic_id: str, code: str, body: ValidationBody, caller: Caller, uow: UoW, models: Models
) -> DiagnosticView:
    """Set the validated level of an indicator (owner or expert): it wins over the respondents' levels."""
    await cases.validate_level(caller, diagnostic_id, code, body.to_given(), uow=uow, models=models)
    return await _view(caller, diagnostic_id, uow)


@router.post(
    "/diagnostics/{diagnostic_id}/submit",
    response_model=DiagnosticView,
    responses=_PROBLEM,
    operation_id="submitDiagnostic",
)
async def submit(
    diagnostic_id: str, caller: Caller, uow: UoW, body: SubmitBody | None = None
) -> DiagnosticView:
    """Submit for scoring; 409 listing every indicator still missing a level or an N/A."""
    assessed_at = body.assessed_at() if body else None
    await cases.submit(caller, diagnostic_id, uow=uow, assessed_at=assessed_at)
    return await _view(caller, diagnostic_id, uow)


@router.post(
    "/diagnostics/{diagnostic_id}/withdraw",
    response_model=DiagnosticView,
    responses=_PROBLEM,
    operation_id="withdrawDiagnostic",
)
async def withdraw(diagnostic_id: str, caller: Caller, uow: UoW) -> DiagnosticView:
    """Withdraw a draft or submitted diagnostic."""
    await cases.withdraw(caller, diagnostic_id, uow=uow)
    return await _view(caller, diagnostic_id, uow)


@router.get(
    "/diagnostics/{diagnostic_id}/export.json", responses=_PROBLEM, operation_id="exportDiagnosticJson"
)
async def export_as_json(diagnostic_id: str, caller: Caller, uow: UoW) -> dict[str, Any]:
    """Export the diagnostic with every answer and its evidence, as JSON (a respondent: their own)."""
    return export_json(*await cases.export_of(caller, diagnostic_id, uow=uow))


@router.get(
    "/diagnostics/{diagnostic_id}/export.csv",
    response_class=CsvResponse,
    responses=_PROBLEM,
    operation_id="exportDiagnosticCsv",
)
async def export_as_csv(diagnostic_id: str, caller: Caller, uow: UoW) -> Response:
    """Export one row per indicator and respondent, as CSV (a respondent: their own rows)."""
    body = export_csv(*await cases.export_of(caller, diagnostic_id, uow=uow))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{diagnostic_id}.csv"'},
    )
