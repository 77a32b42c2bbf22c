"""Composition root of the scoring service."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from services.scoring.adapters.store import ScorecardStore
from services.scoring.entrypoints.consumers import subscription
from services.scoring.settings import ScoringSettings
from shared.auth import TokenVerifier, load_public_key
from shared.events.contracts.probe import ScoringProbeAnswered
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed
from shared.model.schema import MaturityModel
from shared.runtime import Database, ServiceRuntime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dependencies:
    """Everything the scoring app needs, built once from its settings."""

    settings: ScoringSettings
    registry: CollectorRegistry
    runtime: ServiceRuntime
    verifier: TokenVerifier
    models: dict[str, MaturityModel] = field(default_factory=dict)


async def ensure_indexes(db: Database) -> None:
    """Create the indexes the service's stores rely on."""
    await ScorecardStore(db).ensure_indexes()


def bootstrap(settings: ScoringSettings) -> Dependencies:
    """Build the service's collaborators without doing any I/O."""
    registry = CollectorRegistry()
    models: dict[str, MaturityModel] = {}
    runtime = ServiceRuntime(
        settings,
        registry=registry,
        subscription=subscription(models),
        index_setup=ensure_indexes,
        publishes=(DiagnosticScored, DiagnosticScoringFailed, ScoringProbeAnswered),
    )
    keys = [load_public_key(settings.jwt_public_key)] if settings.jwt_public_key else []
    if not keys:
        logger.warning("no DIMM_JWT_PUBLIC_KEY: every API call will be refused with 401")
    verifier = TokenVerifier(keys, issuer=settings.jwt_issuer)
    return Dependencies(
        settings=settings, registry=registry, runtime=runtime, verifier=verifier, models=models
    )
