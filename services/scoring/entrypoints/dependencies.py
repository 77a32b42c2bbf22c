"""FastAPI dependencies of the scoring service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.scoring.bootstrap import Dependencies
from services.scoring.service_layer.unit_of_work import ScoringUnitOfWork
from shared.http import Caller as Caller
from shared.http import Reader as Reader


def get_dependencies(request: Request) -> Dependencies:
    """Return the app's composition root."""
    deps: Dependencies = request.app.state.deps
    return deps


Deps = Annotated[Dependencies, Depends(get_dependencies)]


def get_unit_of_work(deps: Deps) -> ScoringUnitOfWork:
    """Return a new unit of work for this request."""
    return deps.runtime.unit_of_work()


UoW = Annotated[ScoringUnitOfWork, Depends(get_unit_of_work)]
