"""FastAPI application of the watch service, served under /watch."""

from __future__ import annotations

from fastapi import FastAPI

from services.watch.bootstrap import bootstrap
from services.watch.settings import WatchSettings
from shared.http import create_service_app


def create_app(settings: WatchSettings) -> FastAPI:
    """Create the watch app; its lifespan owns the database client and the broker."""
    deps = bootstrap(settings)
    return create_service_app(
        runtime=deps.runtime,
        registry=deps.registry,
        access=deps.access,
        title="DIMM watch service",
        description="Change notices, their impact on diagnostics, subscriptions and alerts.",
        routers=[],
    )
