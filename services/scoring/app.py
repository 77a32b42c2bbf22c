"""FastAPI application of the scoring service, served under /scoring."""

from __future__ import annotations

from fastapi import FastAPI

from services.scoring.bootstrap import bootstrap
from services.scoring.entrypoints import reports
from services.scoring.entrypoints.http import router
from services.scoring.settings import ScoringSettings
from shared.http import create_service_app


def create_app(settings: ScoringSettings) -> FastAPI:
    """Create the scoring app; its lifespan owns the database client and the broker."""
    deps = bootstrap(settings)
    app = create_service_app(
        runtime=deps.runtime,
        registry=deps.registry,
        access=deps.access,
        title="DIMM scoring service",
        description="Scorecards, advice, roadmaps and reports computed from submitted diagnostics.",
        routers=[router, reports.router],
    )
    app.state.deps = deps
    return app
