"""What consuming services keep of other services' data: published model versions, revoked keys."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shared.events.contracts.assessment import ApiKeyRevoked
from shared.events.contracts.catalogue import ModelPublished
from shared.events.handling import PermanentError, model_version
from shared.model.schema import MaturityModel
from shared.model.validation import InvalidModel, parse_model


class ModelVersions(Protocol):
    """The service's copy of the model versions announced by `model.published` events."""

    async def keep(self, model: MaturityModel) -> None:
        """Store a version (a second delivery changes nothing)."""

    async def get(self, model_id: str, version: str) -> MaturityModel | None:
        """Return a version, or None if no `model.published` event told us about it."""


class RevokedKeys(Protocol):
    """The service's copy of the API keys revoked on assessment."""

    async def revoke(self, client_id: str, *, at: datetime) -> None:
        """Remember a revoked key."""

    async def is_revoked(self, client_id: str) -> bool:
        """Tell whether a key was revoked."""


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
