"""HTTP routes of national sector studies: operator lifecycle, enrolment, public results."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Depends, Response, status
from fastapi.responses import HTMLResponse

from services.benchmark.entrypoints.dependencies import Caller, Deps, UoW, require_operator
from services.benchmark.entrypoints.schemas import (
    CohortView,
    EnrolmentBody,
    EnrolmentView,
    StudyCreate,
    StudyList,
    StudyResultsView,
    StudyView,
)
from services.benchmark.entrypoints.study_page import render_results
from services.benchmark.service_layer import studies as cases
from shared.http import problem_responses
from shared.openapi import CsvResponse

router = APIRouter(prefix="/v1/studies", tags=["national studies"])
operator = APIRouter(
    prefix="/v1/studies", tags=["national studies"], dependencies=[Depends(require_operator)]
)
_PROBLEM = problem_responses(401, 403, 404, 409, 422)


@operator.post("", status_code=201, response_model=StudyView, responses=_PROBLEM, operation_id="createStudy")
async def create_study(body: StudyCreate, uow: UoW) -> StudyView:
    """Create a draft study of a sector on a model version (operator)."""
    study = await cases.create(
        title=body.title,
        sector=body.sector,
        model_id=body.model_id,
        model_version=body.model_version,
        opens_at=body.opens_at,
        closes_at=body.closes_at,
        min_participants=body.min_participants,
        uow=uow,
    )
    return StudyView.of(study)


@operator.post("/{study_id}/open", response_model=StudyView, responses=_PROBLEM, operation_id="openStudy")
async def open_study(study_id: str, uow: UoW) -> StudyView:
    """Open a study to enrolment (operator)."""
    return StudyView.of(await cases.open_study(study_id, uow=uow))


@operator.post("/{study_id}/close", response_model=StudyView, responses=_PROBLEM, operation_id="closeStudy")
async def close_study(study_id: str, uow: UoW) -> StudyView:
    """Close a study before its date (operator; the schedule closes it at its date)."""
    return StudyView.of(await cases.close_study(study_id, uow=uow))


@operator.post(
    "/{study_id}/publish", response_model=StudyResultsView, responses=_PROBLEM, operation_id="publishStudy"
)
async def publish_study(study_id: str, uow: UoW, deps: Deps) -> StudyResultsView:
    """Publish a closed study's results (operator): a page, JSON and CSV, and an event."""
    await cases.publish(study_id, uow=uow, min_cohort_size=deps.settings.min_cohort_size)
    return await results(study_id, uow)


@router.get("", response_model=StudyList, operation_id="listStudies")
async def list_studies(uow: UoW) -> StudyList:
    """List the national studies and how many organisations take part (public)."""
    return StudyList(studies=[StudyView.of(s) for s in await cases.all_studies(uow=uow)])


@router.get("/{study_id}", response_model=StudyView, responses=_PROBLEM, operation_id="getStudy")
async def get_study(study_id: str, uow: UoW) -> StudyView:
    """A study and its participation counter, to invite peers (public: counts only)."""
    return StudyView.of(await cases.get(study_id, uow=uow))


@router.post(
    "/{study_id}/participants",
    status_code=201,
    response_model=EnrolmentView,
    responses=_PROBLEM,
    operation_id="enrolInStudy",
)
async def enrol(study_id: str, body: EnrolmentBody, caller: Caller, uow: UoW) -> EnrolmentView:
    """Enrol one of the account's organisations of the study's sector (its consent is recorded)."""
    enrolment = await cases.enrol(caller, study_id, body.organisation_id, uow=uow)
    return EnrolmentView(
        study_id=study_id, organisation_id=enrolment.organisation_id, enrolled_at=enrolment.enrolled_at
    )


@router.delete(
    "/{study_id}/participants/{organisation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_PROBLEM,
    operation_id="withdrawFromStudy",
)
async def withdraw(study_id: str, organisation_id: str, caller: Caller, uow: UoW) -> None:
    """Withdraw an organisation's participation (until the study closes)."""
    await cases.withdraw(caller, study_id, organisation_id, uow=uow)


@router.get(
    "/{study_id}/participants/{organisation_id}/position",
    response_model=CohortView,
    responses=_PROBLEM,
    operation_id="getStudyPosition",
)
async def participant_position(study_id: str, organisation_id: str, caller: Caller, uow: UoW) -> CohortView:
    """Where a participant stands in the study's published results."""
    return CohortView.placed(await cases.participant_position(caller, study_id, organisation_id, uow=uow))


@router.get(
    "/{study_id}/results", response_model=StudyResultsView, responses=_PROBLEM, operation_id="getStudyResults"
)
async def results(study_id: str, uow: UoW) -> StudyResultsView:
    """A published study's results as data (public)."""
    study, published = await cases.results(study_id, uow=uow)
    return StudyResultsView(
        study=StudyView.of(study),
        published_at=published.published_at,
        participants=published.participants,
        results=CohortView.of(published.results),
        comparison=CohortView.of(published.comparison) if published.comparison else None,
    )


@router.get(
    "/{study_id}/results.csv",
    response_class=CsvResponse,
    responses=_PROBLEM,
    operation_id="exportStudyResultsCsv",
)
async def results_csv(study_id: str, uow: UoW) -> Response:
    """A published study's results, one row per figure: participants beside all organisations (public)."""
    view = await results(study_id, uow)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["figure", "population", "organisations", "mean", "q1", "median", "q3", "bands"])
    for population, cohort in (("participants", view.results), ("all_organisations", view.comparison)):
        for f in cohort.figures if cohort else []:
            writer.writerow(
                [f.figure, population, f.organisations, f.mean, *f.quartiles, " ".join(map(str, f.bands))]
            )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{study_id}-results.csv"'},
    )


@router.get(
    "/{study_id}/results.html",
    response_class=HTMLResponse,
    responses=_PROBLEM,
    operation_id="getStudyResultsPage",
)
async def results_page(study_id: str, uow: UoW) -> HTMLResponse:
    """A published study's results as a page people read, in French (public, self-contained)."""
    study, published = await cases.results(study_id, uow=uow)
    model = await cases.model_of(study, uow=uow)
    return HTMLResponse(render_results(study, published, model))
