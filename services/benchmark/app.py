"""FastAPI application of the benchmark service, served under /benchmark."""

from __future__ import annotations

from fastapi import FastAPI

from services.benchmark.bootstrap import bootstrap
from services.benchmark.settings import BenchmarkSettings
from shared.http import create_service_app


def create_app(settings: BenchmarkSettings) -> FastAPI:
    """Create the benchmark app; its lifespan owns the database client and the broker."""
    deps = bootstrap(settings)
    return create_service_app(
        runtime=deps.runtime,
        registry=deps.registry,
        access=deps.access,
        title="DIMM benchmark service",
        description="Peer cohorts, percentile ranks and national sector studies from scored diagnostics.",
        routers=[],
    )
