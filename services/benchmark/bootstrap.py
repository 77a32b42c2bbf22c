"""Composition root of the benchmark service."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from services.benchmark.adapters.unit_of_work import MongoBenchmarkUnitOfWork
from services.benchmark.entrypoints.consumers import subscription
from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from services.benchmark.settings import BenchmarkSettings
from shared.auth import Access
from shared.replicas import consumer_access
from shared.runtime import ServiceRuntime


@dataclass(frozen=True)
class Dependencies:
    """Everything the benchmark app needs, built once from its settings."""

    settings: BenchmarkSettings
    registry: CollectorRegistry
    runtime: ServiceRuntime[BenchmarkUnitOfWork]
    access: Access


def bootstrap(settings: BenchmarkSettings) -> Dependencies:
    """Build the service's collaborators without doing any I/O."""
    registry = CollectorRegistry()
    runtime = ServiceRuntime(
        settings, registry=registry, unit_of_work=MongoBenchmarkUnitOfWork, subscription=subscription()
    )
    return Dependencies(
        settings=settings,
        registry=registry,
        runtime=runtime,
        access=consumer_access(settings, runtime.unit_of_work),
    )
