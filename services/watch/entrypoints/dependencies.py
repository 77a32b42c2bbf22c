"""FastAPI dependencies of the watch service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.watch.bootstrap import Dependencies
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.http import Caller as Caller
from shared.http import require_operator as require_operator


def get_dependencies(request: Request) -> Dependencies:
    """Return the app's composition root."""
    deps: Dependencies = request.app.state.deps
    return deps


Deps = Annotated[Dependencies, Depends(get_dependencies)]


def get_unit_of_work(deps: Deps) -> WatchUnitOfWork:
    """Return a new unit of work for this request."""
    return deps.runtime.unit_of_work()


UoW = Annotated[WatchUnitOfWork, Depends(get_unit_of_work)]
