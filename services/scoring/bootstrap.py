"""Composition root of the scoring service."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from services.scoring.adapters.pdf import ChromiumPdf
from services.scoring.adapters.unit_of_work import MongoScoringUnitOfWork, ensure_indexes
from services.scoring.entrypoints.consumers import subscription
from services.scoring.service_layer.unit_of_work import ScoringUnitOfWork
from services.scoring.settings import ScoringSettings
from shared.adapters.replicas import ModelCache
from shared.auth import Access
from shared.events.contracts.probe import ScoringProbeAnswered
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed
from shared.metrics import service_registry
from shared.mongo_unit_of_work import Storage
from shared.replicas import consumer_access
from shared.runtime import ServiceRuntime

Runtime = ServiceRuntime[ScoringUnitOfWork]


@dataclass(frozen=True)
class Dependencies:
    """Everything the scoring app needs, built once from its settings."""

    settings: ScoringSettings
    registry: CollectorRegistry
    runtime: Runtime
    access: Access
    pdf: ChromiumPdf


def bootstrap(settings: ScoringSettings) -> Dependencies:
    """Build the service's collaborators without doing any I/O."""
    registry = service_registry()
    models: ModelCache = {}

    def unit_of_work(storage: Storage) -> ScoringUnitOfWork:
        return MongoScoringUnitOfWork(storage, models=models)

    runtime: Runtime = ServiceRuntime(
        settings,
        registry=registry,
        unit_of_work=unit_of_work,
        subscription=subscription(),
        index_setup=ensure_indexes,
        publishes=(DiagnosticScored, DiagnosticScoringFailed, ScoringProbeAnswered),
    )
    return Dependencies(
        settings=settings,
        registry=registry,
        runtime=runtime,
        access=consumer_access(settings, runtime.unit_of_work),
        pdf=ChromiumPdf(
            settings.pdf_browser,
            timeout_seconds=settings.pdf_timeout_seconds,
            concurrency=settings.pdf_concurrency,
        ),
    )
