"""Composition root of the assessment service."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from services.assessment.entrypoints.consumers import subscription
from services.assessment.metrics import AssessmentMetrics
from services.assessment.settings import AssessmentSettings
from shared.runtime import ServiceRuntime


@dataclass(frozen=True)
class Dependencies:
    """Everything the assessment app needs, built once from its settings."""

    settings: AssessmentSettings
    registry: CollectorRegistry
    metrics: AssessmentMetrics
    runtime: ServiceRuntime


def bootstrap(settings: AssessmentSettings) -> Dependencies:
    """Build the service's collaborators without doing any I/O."""
    registry = CollectorRegistry()
    metrics = AssessmentMetrics(registry)
    runtime = ServiceRuntime(settings, registry=registry, subscription=subscription(metrics))
    return Dependencies(settings=settings, registry=registry, metrics=metrics, runtime=runtime)
