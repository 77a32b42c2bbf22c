"""Composition root of the watch service."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from services.watch.adapters.unit_of_work import MongoWatchUnitOfWork
from services.watch.entrypoints.consumers import subscription
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from services.watch.settings import WatchSettings
from shared.auth import Access
from shared.replicas import consumer_access
from shared.runtime import ServiceRuntime


@dataclass(frozen=True)
class Dependencies:
    """Everything the watch app needs, built once from its settings."""

    settings: WatchSettings
    registry: CollectorRegistry
    runtime: ServiceRuntime[WatchUnitOfWork]
    access: Access


def bootstrap(settings: WatchSettings) -> Dependencies:
    """Build the service's collaborators without doing any I/O."""
    registry = CollectorRegistry()
    runtime = ServiceRuntime(
        settings, registry=registry, unit_of_work=MongoWatchUnitOfWork, subscription=subscription()
    )
    return Dependencies(
        settings=settings,
        registry=registry,
        runtime=runtime,
        access=consumer_access(settings, runtime.unit_of_work),
    )
