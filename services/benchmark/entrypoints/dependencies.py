"""FastAPI dependencies of the benchmark service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.benchmark.bootstrap import Dependencies
from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from shared.http import Caller as Caller
from shared.http import require_operator as require_operator


def get_dependencies(request: Request) -> Dependencies:
    """Return the app's composition root."""
    deps: Dependencies = request.app.state.deps
    return deps


Deps = Annotated[Dependencies, Depends(get_dependencies)]


def get_unit_of_work(deps: Deps) -> BenchmarkUnitOfWork:
    """Return a new unit of work for this request."""
    return deps.runtime.unit_of_work()


UoW = Annotated[BenchmarkUnitOfWork, Depends(get_unit_of_work)]
