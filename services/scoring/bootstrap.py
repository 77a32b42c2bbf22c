"""Composition root of the scoring service."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from services.scoring.adapters.unit_of_work import MongoScoringUnitOfWork, ensure_indexes
from services.scoring.entrypoints.consumers import subscription
from services.scoring.service_layer.unit_of_work import ScoringUnitOfWork
from services.scoring.settings import ScoringSettings
from shared.adapters.replicas import ModelCache
from shared.auth import Access, TokenVerifier, load_public_key
from shared.events.contracts.probe import ScoringProbeAnswered
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed
from shared.mongo_unit_of_work import Storage
from shared.runtime import ServiceRuntime

logger = logging.getLogger(__name__)

Runtime = ServiceRuntime[ScoringUnitOfWork]


@dataclass(frozen=True)
class Dependencies:
    """Everything the scoring app needs, built once from its settings."""

    settings: ScoringSettings
    registry: CollectorRegistry
    runtime: Runtime
    access: Access


@dataclass(frozen=True)
class _Revocations:
    """Revoked keys, as the `api_key.revoked` events told this service."""

    runtime: Runtime

    async def is_revoked(self, client_id: str) -> bool:
        return await self.runtime.unit_of_work().revoked_keys.is_revoked(client_id)


def bootstrap(settings: ScoringSettings) -> Dependencies:
    """Build the service's collaborators without doing any I/O."""
    registry = CollectorRegistry()
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
    keys = [load_public_key(settings.jwt_public_key)] if settings.jwt_public_key else []
    if not keys:
        logger.warning("no DIMM_JWT_PUBLIC_KEY: every API call will be refused with 401")
    verifier = TokenVerifier(keys, issuer=settings.jwt_issuer)
    return Dependencies(
        settings=settings, registry=registry, runtime=runtime, access=Access(verifier, _Revocations(runtime))
    )
