"""Composition root of the scoring service."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from services.scoring.entrypoints.consumers import subscription
from services.scoring.settings import ScoringSettings
from shared.runtime import ServiceRuntime


@dataclass(frozen=True)
class Dependencies:
    """Everything the scoring app needs, built once from its settings."""

    settings: ScoringSettings
    registry: CollectorRegistry
    runtime: ServiceRuntime


def bootstrap(settings: ScoringSettings) -> Dependencies:
    """Build the service's collaborators without doing any I/O."""
    registry = CollectorRegistry()
    runtime = ServiceRuntime(settings, registry=registry, subscription=subscription())
    return Dependencies(settings=settings, registry=registry, runtime=runtime)
