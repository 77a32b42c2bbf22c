"""FastAPI application of the assessment service, served under /assessment."""

from __future__ import annotations

from fastapi import FastAPI

from services.assessment.bootstrap import bootstrap, on_start
from services.assessment.entrypoints import accounts, catalogue, diagnostics, http, organisations
from services.assessment.settings import AssessmentSettings
from shared.http import create_service_app


def create_app(settings: AssessmentSettings) -> FastAPI:
    """Create the assessment app; its lifespan owns the database client and the broker."""
    deps = bootstrap(settings)
    app = create_service_app(
        runtime=deps.runtime,
        registry=deps.registry,
        access=deps.access,
        operator_token=deps.settings.admin_token,
        title="DIMM assessment service",
        description="Model catalogue, accounts, organisations, diagnostics and answers.",
        routers=[accounts.router, organisations.router, diagnostics.router, catalogue.router, http.router],
        on_start=lambda: on_start(deps),
    )
    app.state.deps = deps
    return app
