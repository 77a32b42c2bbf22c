"""Composition root of the assessment service."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client import CollectorRegistry

from services.assessment.adapters.unit_of_work import MongoAssessmentUnitOfWork, ensure_indexes
from services.assessment.entrypoints.consumers import subscription
from services.assessment.metrics import AssessmentMetrics
from services.assessment.service_layer.accounts import key_is_revoked
from services.assessment.service_layer.answers import QuestionnaireCache
from services.assessment.service_layer.catalogue import ModelCache, load_shipped_editions
from services.assessment.service_layer.diagnostics import respondent_is_revoked
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from services.assessment.settings import AssessmentSettings
from shared.auth import Access, Principal, TokenIssuer, TokenVerifier, load_private_key
from shared.events.contracts.assessment import (
    AccountOpened,
    AccountPlanChanged,
    ApiKeyRevoked,
    DiagnosticSubmitted,
    DiagnosticWithdrawn,
    OrganisationErased,
    OrganisationRegistered,
    OrganisationUpdated,
    RespondentRevoked,
)
from shared.events.contracts.catalogue import ModelPublished
from shared.events.contracts.probe import ProbeRequested
from shared.metrics import service_registry
from shared.mongo import Database
from shared.runtime import ServiceRuntime
from shared.scheduling import SchedulerMetrics

logger = logging.getLogger(__name__)

Runtime = ServiceRuntime[AssessmentUnitOfWork]


@dataclass(frozen=True)
class Dependencies:
    """Everything the assessment app needs, built once from its settings."""

    settings: AssessmentSettings
    registry: CollectorRegistry
    metrics: AssessmentMetrics
    scheduler_metrics: SchedulerMetrics
    runtime: Runtime
    models: ModelCache
    questionnaires: QuestionnaireCache
    issuer: TokenIssuer
    access: Access

    @property
    def token_ttl(self) -> timedelta:
        """Return how long an access token lives."""
        return timedelta(seconds=self.settings.access_token_ttl_seconds)

    @property
    def respondent_ttl(self) -> timedelta:
        """Return how long a respondent's invitation token lives."""
        return timedelta(days=self.settings.respondent_token_ttl_days)

    @property
    def report_link_ttl(self) -> timedelta:
        """Return how long a report link opens its report."""
        return timedelta(seconds=self.settings.report_link_ttl_seconds)


@dataclass(frozen=True)
class _Revocations:
    """Revoked keys and respondents, as the accounts and diagnostics repositories know them."""

    runtime: Runtime

    async def is_revoked(self, client_id: str) -> bool:
        return await key_is_revoked(client_id, uow=self.runtime.unit_of_work())

    async def is_respondent_revoked(self, principal: Principal) -> bool:
        return await respondent_is_revoked(principal, uow=self.runtime.unit_of_work())


def bootstrap(settings: AssessmentSettings) -> Dependencies:
    """Build the service's collaborators without doing any I/O."""
    registry = service_registry()
    metrics = AssessmentMetrics(registry)
    issuer = TokenIssuer(_signing_key(settings), issuer=settings.jwt_issuer)
    ttl = settings.idempotency_ttl_hours * 3600

    async def index_setup(db: Database) -> None:
        await ensure_indexes(
            db, idempotency_ttl_seconds=ttl, probe_ttl_seconds=settings.probe_retention_days * 86_400
        )

    runtime: Runtime = ServiceRuntime(
        settings,
        registry=registry,
        unit_of_work=MongoAssessmentUnitOfWork,
        subscription=subscription(metrics),
        index_setup=index_setup,
        publishes=(
            ModelPublished,
            OrganisationRegistered,
            OrganisationUpdated,
            OrganisationErased,
            DiagnosticSubmitted,
            DiagnosticWithdrawn,
            ApiKeyRevoked,
            RespondentRevoked,
            AccountOpened,
            AccountPlanChanged,
            ProbeRequested,
        ),
    )
    verifier = TokenVerifier([issuer.public_key], issuer=settings.jwt_issuer)
    return Dependencies(
        settings=settings,
        registry=registry,
        metrics=metrics,
        scheduler_metrics=SchedulerMetrics(registry),
        runtime=runtime,
        models=ModelCache(),
        questionnaires=QuestionnaireCache(),
        issuer=issuer,
        access=Access(verifier, _Revocations(runtime)),
    )


def _signing_key(settings: AssessmentSettings) -> Ed25519PrivateKey:
    if settings.jwt_private_key is not None:
        return load_private_key(settings.jwt_private_key.get_secret_value())
    # Development only (the settings refuse this elsewhere): tokens die with the process.
    logger.warning("no DIMM_ASSESSMENT_JWT_PRIVATE_KEY: signing tokens with a key made for this run only")
    return Ed25519PrivateKey.generate()


async def on_start(deps: Dependencies) -> None:
    """Load the shipped model editions the catalogue does not have yet."""
    await load_shipped_editions(deps.runtime.unit_of_work, cache=deps.models)
