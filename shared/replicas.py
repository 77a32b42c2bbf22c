"""What consuming services keep of other services' data: model versions, revoked keys and respondents."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.auth import Access, Principal, TokenVerifier, load_public_key
from shared.events.contracts.assessment import ApiKeyRevoked, RespondentRevoked
from shared.events.contracts.catalogue import ModelPublished
from shared.events.handling import PermanentError, model_version
from shared.model.schema import MaturityModel, version_key
from shared.model.validation import InvalidModel, parse_model
from shared.settings import ServiceSettings

logger = logging.getLogger(__name__)


class ModelVersions(Protocol):
    """The service's copy of the model versions announced by `model.published` events."""

    async def keep(self, model: MaturityModel) -> None:
        """Store a version (a second delivery changes nothing)."""

    async def get(self, model_id: str, version: str) -> MaturityModel | None:
        """Return a version, or None if no `model.published` event told us about it."""

    async def versions(self, model_id: str) -> list[MaturityModel]:
        """Return every known version of a model."""

    async def latest(self, model_id: str) -> MaturityModel | None:
        """Return the highest release of a model (a pre-release only when there is no release)."""


class RevokedKeys(Protocol):
    """The service's copy of the API keys and respondents revoked on assessment."""

    async def revoke(self, client_id: str, *, at: datetime) -> None:
        """Remember a revoked key."""

    async def is_revoked(self, client_id: str) -> bool:
        """Tell whether a key was revoked."""

    async def revoke_respondent(self, respondent_id: str, *, at: datetime) -> None:
        """Remember a revoked respondent."""

    async def is_respondent_revoked(self, respondent_id: str) -> bool:
        """Tell whether a respondent was revoked."""


class KeepsModelVersions(Protocol):
    """A unit of work with a copy of the model versions."""

    @property
    def model_versions(self) -> ModelVersions: ...


class KeepsRevokedKeys(Protocol):
    """A unit of work with a copy of the revoked keys."""

    @property
    def revoked_keys(self) -> RevokedKeys: ...


class UnusableModel(PermanentError):
    """A published model document this service cannot read: retrying will not change it."""


async def keep_published_model(event: ModelPublished, uow: KeepsModelVersions) -> None:
    """Keep a copy of a published model version."""
    try:
        model = parse_model(event.document)
    except InvalidModel as exc:
        raise UnusableModel(
            f"{event.model_id}@{event.version} is not a valid model: {exc.problems[:3]}"
        ) from exc
    await uow.model_versions.keep(model)


def brings_model_version(event: ModelPublished) -> list[str]:
    """Name the dependency a published model version satisfies."""
    return [model_version(event.model_id, event.version)]


async def remember_revoked_key(event: ApiKeyRevoked, uow: KeepsRevokedKeys) -> None:
    """Remember a revoked key, so the tokens it obtained are refused here too."""
    await uow.revoked_keys.revoke(event.client_id, at=event.revoked_at)


async def remember_revoked_respondent(event: RespondentRevoked, uow: KeepsRevokedKeys) -> None:
    """Remember a revoked respondent, so their token is refused here too."""
    await uow.revoked_keys.revoke_respondent(event.respondent_id, at=event.revoked_at)


@dataclass(frozen=True)
class CopiedRevocations:
    """Revoked keys and respondents as this service learnt them from `*.revoked` events."""

    unit_of_work: Callable[[], KeepsRevokedKeys]

    async def is_revoked(self, client_id: str) -> bool:
        """Tell whether a key was revoked."""
        return await self.unit_of_work().revoked_keys.is_revoked(client_id)

    async def is_respondent_revoked(self, principal: Principal) -> bool:
        """Tell whether a respondent token's respondent was revoked."""
        respondent_id = principal.respondent_id
        return respondent_id is not None and await self.unit_of_work().revoked_keys.is_respondent_revoked(
            respondent_id
        )


def consumer_access(settings: ServiceSettings, unit_of_work: Callable[[], KeepsRevokedKeys]) -> Access:
    """Authenticate callers of a service that is not assessment: its public key, its revoked keys."""
    keys = [load_public_key(settings.jwt_public_key)] if settings.jwt_public_key else []
    if not keys:
        logger.warning("no DIMM_JWT_PUBLIC_KEY: every API call will be refused with 401")
    return Access(TokenVerifier(keys, issuer=settings.jwt_issuer), CopiedRevocations(unit_of_work))


def newest(models: list[MaturityModel]) -> MaturityModel | None:
    """Return the highest release, or the highest pre-release when there is no release."""
    releases = [m for m in models if "-" not in m.version] or models
    return max(releases, key=lambda m: version_key(m.version), default=None)
