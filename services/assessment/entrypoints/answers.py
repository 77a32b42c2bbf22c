"""HTTP routes of answers: one at a time, many at once, and the list of a diagnostic's answers."""

from __future__ import annotations

from fastapi import APIRouter

from services.assessment.entrypoints.answer_schemas import AnswersBody, AnswersSaved
from services.assessment.entrypoints.dependencies import AnsweringCaller, Caller, Models, Questionnaires, UoW
from services.assessment.entrypoints.diagnostic_schemas import AnswerBody, AnswerList, AnswerView
from services.assessment.service_layer import answers as cases
from services.assessment.service_layer.diagnostics import answers_seen_by
from shared.errors import InvalidInput
from shared.http import problem_responses

router = APIRouter(prefix="/v1", tags=["diagnostics"])
_PROBLEM = problem_responses(401, 403, 404, 409, 422)


@router.put(
    "/diagnostics/{diagnostic_id}/respondents/{respondent_id}/answers/{code}",
    response_model=AnswerView,
    responses=_PROBLEM,
    operation_id="saveAnswer",
)
async def put_answer(
    diagnostic_id: str,
    respondent_id: str,
    code: str,
    body: AnswerBody,
    caller: AnsweringCaller,
    uow: UoW,
    models: Models,
    questionnaires: Questionnaires,
) -> AnswerView:
    """Record a respondent's answer on an indicator (idempotent); criteria met give the level cumulatively."""
    stored = await cases.put_answer(
        caller,
        diagnostic_id,
        respondent_id,
        code,
        body.to_given(),
        uow=uow,
        models=models,
        questionnaires=questionnaires,
    )
    return AnswerView.of(stored)


@router.patch(
    "/diagnostics/{diagnostic_id}/answers",
    response_model=AnswersSaved,
    responses=_PROBLEM,
    operation_id="saveAnswers",
)
async def patch_answers(
    diagnostic_id: str,
    body: AnswersBody,
    caller: AnsweringCaller,
    uow: UoW,
    models: Models,
    questionnaires: Questionnaires,
) -> AnswersSaved:
    """Record many answers of one respondent in one request (idempotent): all stored, or none.

    Each answer is checked as `saveAnswer` checks it; one refused answer refuses them all, with a
    422 naming every refused one by its position (`answers[3].level`). Other answers of the
    respondent stay as they were.
    """
    respondent_id = body.respondent_id or caller.respondent_id
    if respondent_id is None:
        raise InvalidInput(
            "Name the respondent these answers are from.",
            errors=[{"path": "respondent_id", "message": "required unless a respondent's token sends them"}],
        )
    stored = await cases.put_answers(
        caller,
        diagnostic_id,
        respondent_id,
        body.to_given(),
        uow=uow,
        models=models,
        questionnaires=questionnaires,
    )
    return AnswersSaved(answers=[AnswerView.of(a) for a in stored])


@router.get(
    "/diagnostics/{diagnostic_id}/answers",
    response_model=AnswerList,
    responses=_PROBLEM,
    operation_id="listAnswers",
)
async def list_answers(diagnostic_id: str, caller: Caller, uow: UoW) -> AnswerList:
    """List the answers (a respondent sees their own)."""
    answers = await answers_seen_by(caller, diagnostic_id, uow=uow)
    return AnswerList(answers=[AnswerView.of(a) for a in answers])
