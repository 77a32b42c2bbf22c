"""FastAPI application of the benchmark service, served under /benchmark."""

from __future__ import annotations

from fastapi import FastAPI

from services.benchmark.bootstrap import SCHEDULER_LEASE, bootstrap
from services.benchmark.entrypoints import http, ops, studies
from services.benchmark.entrypoints.schedule import Schedule
from services.benchmark.settings import BenchmarkSettings
from shared.http import create_service_app


def create_app(settings: BenchmarkSettings) -> FastAPI:
    """Create the benchmark app; its lifespan owns the database client, the broker and the schedule."""
    deps = bootstrap(settings)
    runtime = deps.runtime
    schedules: list[Schedule] = []

    async def start_schedule() -> None:
        lease = runtime.lease(SCHEDULER_LEASE)
        schedule = Schedule(settings, runtime.unit_of_work, lease, metrics=deps.scheduler_metrics)
        schedule.start()
        schedules.append(schedule)

    async def stop_schedule() -> None:
        for schedule in schedules:
            await schedule.stop()
        schedules.clear()

    app = create_service_app(
        runtime=runtime,
        registry=deps.registry,
        access=deps.access,
        operator_token=settings.admin_token,
        title="DIMM benchmark service",
        description="Peer cohorts, percentile ranks and national sector studies from scored diagnostics.",
        routers=[http.router, studies.operator, studies.router, ops.router],
        on_start=start_schedule,
        on_stop=stop_schedule,
    )
    app.state.deps = deps
    return app
