"""Use cases of the model catalogue: publish, browse, compare."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from services.assessment.adapters.models import ModelVersionRepository
from services.assessment.domain.catalogue import PublishedVersion, latest, republish_outcome
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events.contracts.catalogue import ModelPublished
from shared.messaging.outbox import Outbox
from shared.model.diff import ModelDiff, diff_models
from shared.model.editions import shipped_editions
from shared.model.schema import IndicatorPlace, MaturityModel, Profile
from shared.model.validation import InvalidModel, parse_model
from shared.mongo import Client, in_transaction, utc_now

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


async def publish_model(
    document: Any,
    *,
    client: Client,
    repo: ModelVersionRepository,
    outbox: Outbox,
    cache: ModelCache,
    on_commit: Callable[[], None],
) -> PublishResult:
    """Validate and store a version with its published event; an identical re-publish changes nothing."""
    model = _parse(document)
    existing = await repo.summary(model.model_id, model.version)
    if existing is not None:
        return _same_or_conflict(existing, model)
    now = utc_now()
    event = ModelPublished(
        model_id=model.model_id,
        version=model.version,
        content_hash=model.content_hash,
        title=model.title,
        indicator_count=model.indicator_count,
        published_at=now,
        document=model.model_dump(mode="json"),
    )

    async def work(session: AsyncClientSession) -> None:
        await repo.add(model, published_at=now, session=session)
        await outbox.add(event, subject=model.model_id, session=session)

    try:
        await in_transaction(client, work)
    except DuplicateKeyError:
        concurrent = await repo.summary(model.model_id, model.version)
        if concurrent is None:
            raise
        return _same_or_conflict(concurrent, model)
    on_commit()
    cache.put(model)
    logger.info("published model %s (%s)", model.ref, model.content_hash)
    version = PublishedVersion(
        model.model_id, model.version, model.title, model.content_hash, model.indicator_count, now
    )
    return PublishResult(version, created=True)


async def resolve_version(model_id: str, version: str, *, repo: ModelVersionRepository) -> PublishedVersion:
    """Return a version's metadata; `latest` is the highest release."""
    if version == LATEST:
        found = latest(await repo.versions(model_id))
    else:
        found = await repo.summary(model_id, version)
    if found is None:
        raise NotFound(f"No model version {model_id}@{version}.")
    return found


async def get_model(
    model_id: str, version: str, *, repo: ModelVersionRepository, cache: ModelCache
) -> tuple[PublishedVersion, MaturityModel]:
    """Return a version's metadata and its parsed model (an exact version is read once per process)."""
    summary = cache.version(f"{model_id}@{version}") or await resolve_version(model_id, version, repo=repo)
    model = cache.get(summary.content_hash)
    if model is None:
        document = await repo.document(summary.model_id, summary.version)
        if document is None:
            raise NotFound(f"No model version {model_id}@{version}.")
        model = MaturityModel.model_validate(document)
        cache.put(model)
    cache.keep_version(summary)
    return summary, model


async def list_versions(
    model_id: str | None, *, repo: ModelVersionRepository
) -> dict[str, list[PublishedVersion]]:
    """Group the published versions by model."""
    grouped: dict[str, list[PublishedVersion]] = {}
    for version in await repo.versions(model_id):
        grouped.setdefault(version.model_id, []).append(version)
    if model_id is not None and not grouped:
        raise NotFound(f"No model {model_id!r}.")
    return grouped


async def get_indicator(
    model_id: str, version: str, code: str, *, repo: ModelVersionRepository, cache: ModelCache
) -> tuple[MaturityModel, IndicatorPlace]:
    """Return one indicator with where it sits."""
    _, model = await get_model(model_id, version, repo=repo, cache=cache)
    place = model.place(code)
    if place is None:
        raise NotFound(f"No indicator {code!r} in {model.ref}.")
    return model, place


async def get_profile(
    model_id: str, version: str, code: str, *, repo: ModelVersionRepository, cache: ModelCache
) -> tuple[MaturityModel, Profile]:
    """Return one profile of a version."""
    _, model = await get_model(model_id, version, repo=repo, cache=cache)
    profile = model.profile(code)
    if profile is None:
        raise NotFound(f"No profile {code!r} in {model.ref}.")
    return model, profile


async def diff_versions(
    model_id: str, before: str, after: str, *, repo: ModelVersionRepository, cache: ModelCache
) -> ModelDiff:
    """Compare two versions of a model."""
    _, old = await get_model(model_id, before, repo=repo, cache=cache)
    _, new = await get_model(model_id, after, repo=repo, cache=cache)
    return diff_models(old, new)


async def load_shipped_editions(
    *,
    client: Client,
    repo: ModelVersionRepository,
    outbox: Outbox,
    cache: ModelCache,
    on_commit: Callable[[], None],
) -> None:
    """Publish the shipped DIMM editions that the catalogue does not have yet."""
    for model in shipped_editions():
        try:
            result = await publish_model(
                model.model_dump(mode="json"),
                client=client,
                repo=repo,
                outbox=outbox,
                cache=cache,
                on_commit=on_commit,
            )
        except Conflict:
            logger.warning("shipped %s differs from the published one; the published one stays", model.ref)
            continue
        if result.created:
            logger.info("loaded shipped edition %s", model.ref)
