"""Use cases of the model catalogue: publish, browse, compare."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.assessment.domain.catalogue import Publication, PublishedVersion, latest, republish_outcome
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.errors import Conflict, InvalidInput, NotFound
from shared.model.diff import ModelDiff, diff_models
from shared.model.editions import shipped_editions
from shared.model.schema import IndicatorPlace, MaturityModel, Profile
from shared.model.validation import InvalidModel, parse_model
from shared.mongo import utc_now

logger = logging.getLogger(__name__)

LATEST = "latest"


@dataclass
class ModelCache:
    """Parsed model versions and their metadata: versions never change, so they never go stale."""

    _models: dict[str, MaturityModel] = field(default_factory=dict)
    _versions: dict[str, PublishedVersion] = field(default_factory=dict)

    def get(self, content_hash: str) -> MaturityModel | None:
        """Return a parsed model, if cached."""
        return self._models.get(content_hash)

    def put(self, model: MaturityModel) -> None:
        """Keep a parsed model."""
        self._models[model.content_hash] = model

    def version(self, ref: str) -> PublishedVersion | None:
        """Return a version's metadata by `model_id@version`, if cached."""
        return self._versions.get(ref)

    def keep_version(self, version: PublishedVersion) -> None:
        """Keep a version's metadata."""
        self._versions[f"{version.model_id}@{version.version}"] = version


@dataclass(frozen=True)
class PublishResult:
    """The version now published, and whether this call created it."""

    version: PublishedVersion
    created: bool


def _parse(document: Any) -> MaturityModel:
    try:
        return parse_model(document)
    except InvalidModel as exc:
        raise InvalidInput(
            f"The model has {len(exc.problems)} problem(s).", errors=[p.as_dict() for p in exc.problems]
        ) from exc


def _same_or_conflict(existing: PublishedVersion, model: MaturityModel) -> PublishResult:
    if republish_outcome(existing, model.content_hash) == "unchanged":
        return PublishResult(existing, created=False)
    raise Conflict(
        f"{model.ref} is already published with other content ({existing.content_hash}); "
        "versions are immutable: publish the change under a new version."
    )


async def publish_model(document: Any, *, uow: AssessmentUnitOfWork, cache: ModelCache) -> PublishResult:
    """Validate and store a version with its published event; an identical re-publish changes nothing."""
    model = _parse(document)
    existing = await uow.models.summary(model.model_id, model.version)
    if existing is not None:
        return _same_or_conflict(existing, model)
    publication = Publication.of(model, at=utc_now())
    async with uow:
        created = await uow.models.add(publication)
        if created:
            uow.collect(publication)
            await uow.commit()
    if not created:
        # Another request published the same version between our read and our write.
        concurrent = await uow.models.summary(model.model_id, model.version)
        if concurrent is None:
            raise Conflict(f"{model.ref} is being published by another request; try again.")
        return _same_or_conflict(concurrent, model)
    cache.put(model)
    logger.info("published model %s (%s)", model.ref, model.content_hash)
    return PublishResult(publication.version, created=True)


async def resolve_version(model_id: str, version: str, *, uow: AssessmentUnitOfWork) -> PublishedVersion:
    """Return a version's metadata; `latest` is the highest release."""
    if version == LATEST:
        found = latest(await uow.models.versions(model_id))
    else:
        found = await uow.models.summary(model_id, version)
    if found is None:
        raise NotFound(f"No model version {model_id}@{version}.")
    return found


async def get_model(
    model_id: str, version: str, *, uow: AssessmentUnitOfWork, cache: ModelCache
) -> tuple[PublishedVersion, MaturityModel]:
    """Return a version's metadata and its parsed model (an exact version is read once per process)."""
    summary = cache.version(f"{model_id}@{version}") or await resolve_version(model_id, version, uow=uow)
    model = cache.get(summary.content_hash)
    if model is None:
        document = await uow.models.document(summary.model_id, summary.version)
        if document is None:
            raise NotFound(f"No model version {model_id}@{version}.")
        model = MaturityModel.model_validate(document)
        cache.put(model)
    cache.keep_version(summary)
    return summary, model


async def sectors(model_id: str, *, uow: AssessmentUnitOfWork, cache: ModelCache) -> set[str]:
    """Return the sector vocabulary of a model's latest version."""
    _, model = await get_model(model_id, LATEST, uow=uow, cache=cache)
    return {sector.code for sector in model.sectors}


async def list_versions(
    model_id: str | None, *, uow: AssessmentUnitOfWork
) -> dict[str, list[PublishedVersion]]:
    """Group the published versions by model."""
    grouped: dict[str, list[PublishedVersion]] = {}
    for version in await uow.models.versions(model_id):
        grouped.setdefault(version.model_id, []).append(version)
    if model_id is not None and not grouped:
        raise NotFound(f"No model {model_id!r}.")
    return grouped


async def get_indicator(
    model_id: str, version: str, code: str, *, uow: AssessmentUnitOfWork, cache: ModelCache
) -> tuple[MaturityModel, IndicatorPlace]:
    """Return one indicator with where it sits."""
    _, model = await get_model(model_id, version, uow=uow, cache=cache)
    place = model.place(code)
    if place is None:
        raise NotFound(f"No indicator {code!r} in {model.ref}.")
    return model, place


async def get_profile(
    model_id: str, version: str, code: str, *, uow: AssessmentUnitOfWork, cache: ModelCache
) -> tuple[MaturityModel, Profile]:
    """Return one profile of a version."""
    _, model = await get_model(model_id, version, uow=uow, cache=cache)
    profile = model.profile(code)
    if profile is None:
        raise NotFound(f"No profile {code!r} in {model.ref}.")
    return model, profile


async def diff_versions(
    model_id: str, before: str, after: str, *, uow: AssessmentUnitOfWork, cache: ModelCache
) -> ModelDiff:
    """Compare two versions of a model."""
    _, old = await get_model(model_id, before, uow=uow, cache=cache)
    _, new = await get_model(model_id, after, uow=uow, cache=cache)
    return diff_models(old, new)


async def load_shipped_editions(
    unit_of_work: Callable[[], AssessmentUnitOfWork], *, cache: ModelCache
) -> None:
    """Publish the shipped DIMM editions that the catalogue does not have yet."""
    for model in shipped_editions():
        try:
            result = await publish_model(model.model_dump(mode="json"), uow=unit_of_work(), cache=cache)
        except Conflict:
            logger.warning("shipped %s differs from the published one; the published one stays", model.ref)
            continue
        if result.created:
            logger.info("loaded shipped edition %s", model.ref)
