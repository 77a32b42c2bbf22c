"""FastAPI dependencies of the assessment service.

All `async`, though none awaits: FastAPI runs a plain function in its thread pool, a hop per
dependency and request that costs more than the lookup itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.assessment.bootstrap import Dependencies
from services.assessment.service_layer.answers import QuestionnaireCache
from services.assessment.service_layer.catalogue import ModelCache
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.http import AnsweringCaller as AnsweringCaller
from shared.http import Caller as Caller
from shared.http import require_operator as require_operator


async def get_dependencies(request: Request) -> Dependencies:
    """Return the app's composition root."""
    deps: Dependencies = request.app.state.deps
    return deps


Deps = Annotated[Dependencies, Depends(get_dependencies)]


async def get_unit_of_work(deps: Deps) -> AssessmentUnitOfWork:
    """Return a new unit of work for this request."""
    return deps.runtime.unit_of_work()


UoW = Annotated[AssessmentUnitOfWork, Depends(get_unit_of_work)]


async def get_models(deps: Deps) -> ModelCache:
    """Return the process-wide cache of parsed model versions."""
    return deps.models


Models = Annotated[ModelCache, Depends(get_models)]


async def get_questionnaires(deps: Deps) -> QuestionnaireCache:
    """Return the process-wide cache of diagnostics' questionnaires."""
    return deps.questionnaires


Questionnaires = Annotated[QuestionnaireCache, Depends(get_questionnaires)]
