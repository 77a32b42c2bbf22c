"""FastAPI application of the assessment service, served under /assessment."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.assessment.bootstrap import bootstrap, on_start
from services.assessment.entrypoints import (
    accounts,
    answers,
    catalogue,
    diagnostics,
    http,
    organisations,
    partners,
    report_links,
)
from services.assessment.entrypoints.schedule import start_schedule
from services.assessment.settings import AssessmentSettings
from shared.http import create_service_app
from shared.scheduling import LeasedScheduler


def create_app(settings: AssessmentSettings) -> FastAPI:
    """Create the assessment app; its lifespan owns the database client and the broker."""
    deps = bootstrap(settings)
    schedules: list[LeasedScheduler] = []

    async def start() -> None:
        await on_start(deps)
        schedules.append(
            start_schedule(
                deps.runtime,
                probe_every_seconds=settings.probe_interval_seconds,
                resend_after=timedelta(minutes=settings.resend_unscored_after_minutes),
                metrics=deps.scheduler_metrics,
            )
        )

    async def stop() -> None:
        while schedules:
            await schedules.pop().stop()

    app = create_service_app(
        runtime=deps.runtime,
        registry=deps.registry,
        access=deps.access,
        operator_token=deps.settings.admin_token,
        title="DIMM assessment service",
        description="Model catalogue, accounts, organisations, diagnostics and answers.",
        # Answers first: the most frequent requests by far, matched (by the router and by tracing)
        # against the routes in this order.
        routers=[
            answers.router,
            accounts.router,
            organisations.router,
            partners.router,
            diagnostics.router,
            report_links.router,
            catalogue.router,
            http.router,
        ],
        on_start=start,
        on_stop=stop,
    )
    app.state.deps = deps
    return app
