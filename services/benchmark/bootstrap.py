"""Composition root of the benchmark service."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from services.benchmark.adapters.unit_of_work import MongoBenchmarkUnitOfWork, ensure_indexes
from services.benchmark.entrypoints.consumers import subscription
from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from services.benchmark.settings import BenchmarkSettings
from shared.adapters.replicas import ModelCache
from shared.auth import Access
from shared.events.contracts.benchmark import SnapshotPublished, StudyPublished
from shared.events.contracts.probe import BenchmarkProbeAnswered
from shared.metrics import service_registry
from shared.mongo_unit_of_work import Storage
from shared.replicas import consumer_access
from shared.runtime import ServiceRuntime
from shared.scheduling import SchedulerMetrics

Runtime = ServiceRuntime[BenchmarkUnitOfWork]
SCHEDULER_LEASE = "benchmark-scheduler"


@dataclass(frozen=True)
class Dependencies:
    """Everything the benchmark app needs, built once from its settings."""

    settings: BenchmarkSettings
    registry: CollectorRegistry
    runtime: Runtime
    access: Access
    scheduler_metrics: SchedulerMetrics


def bootstrap(settings: BenchmarkSettings) -> Dependencies:
    """Build the service's collaborators without doing any I/O."""
    registry = service_registry()
    models: ModelCache = {}

    def unit_of_work(storage: Storage) -> BenchmarkUnitOfWork:
        return MongoBenchmarkUnitOfWork(storage, models=models)

    runtime: Runtime = ServiceRuntime(
        settings,
        registry=registry,
        unit_of_work=unit_of_work,
        subscription=subscription(),
        index_setup=ensure_indexes,
        publishes=(SnapshotPublished, StudyPublished, BenchmarkProbeAnswered),
    )
    return Dependencies(
        settings=settings,
        registry=registry,
        runtime=runtime,
        access=consumer_access(settings, runtime.unit_of_work),
        scheduler_metrics=SchedulerMetrics(registry),
    )
