"""Composition root of the assessment service."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from services.assessment.adapters.models import ModelVersionRepository
from services.assessment.entrypoints.consumers import subscription
from services.assessment.metrics import AssessmentMetrics
from services.assessment.service_layer.catalogue import ModelCache, load_shipped_editions
from services.assessment.settings import AssessmentSettings
from shared.runtime import Database, ServiceRuntime


@dataclass(frozen=True)
class Dependencies:
    """Everything the assessment app needs, built once from its settings."""

    settings: AssessmentSettings
    registry: CollectorRegistry
    metrics: AssessmentMetrics
    runtime: ServiceRuntime
    models: ModelCache


def bootstrap(settings: AssessmentSettings) -> Dependencies:
    """Build the service's collaborators without doing any I/O."""
    registry = CollectorRegistry()
    metrics = AssessmentMetrics(registry)
    runtime = ServiceRuntime(
        settings, registry=registry, subscription=subscription(metrics), index_setup=ensure_indexes
    )
    return Dependencies(
        settings=settings, registry=registry, metrics=metrics, runtime=runtime, models=ModelCache()
    )


async def ensure_indexes(db: Database) -> None:
    """Create the indexes the service's repositories rely on."""
    await ModelVersionRepository.in_database(db).ensure_indexes()


async def on_start(deps: Dependencies) -> None:
    """Load the shipped model editions the catalogue does not have yet."""
    runtime = deps.runtime
    await load_shipped_editions(
        client=runtime.client,
        repo=ModelVersionRepository.in_database(runtime.db),
        outbox=runtime.outbox,
        cache=deps.models,
        on_commit=runtime.events_committed,
    )
