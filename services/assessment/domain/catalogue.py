"""The catalogue's rules: versions are immutable, the latest is the highest release."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.aggregate import Aggregate
from shared.events.contracts.catalogue import ModelPublished
from shared.model.schema import MaturityModel, version_key


@dataclass(frozen=True)
class PublishedVersion:
    """What the catalogue knows of a published version, without its document."""

    model_id: str
    version: str
    title: str
    content_hash: str
    indicator_count: int
    published_at: datetime


@dataclass
class Publication(Aggregate):
    """A model version entering the catalogue, announced with its whole document."""

    model: MaturityModel
    published_at: datetime

    @classmethod
    def of(cls, model: MaturityModel, *, at: datetime) -> Publication:
        """Publish a version: it records the event other services keep their copy from."""
        publication = cls(model, at)
        publication.record(ModelPublished.of(model, at=at), subject=model.model_id)
        return publication

    @property
    def version(self) -> PublishedVersion:
        """Return what the catalogue lists of this version."""
        m = self.model
        return PublishedVersion(
            m.model_id, m.version, m.title, m.content_hash, m.indicator_count, self.published_at
        )


def latest(versions: list[PublishedVersion]) -> PublishedVersion | None:
    """Return the highest release, or the highest pre-release when there is no release."""
    if not versions:
        return None
    releases = [v for v in versions if "-" not in v.version] or versions
    return max(releases, key=lambda v: version_key(v.version))


def republish_outcome(existing: PublishedVersion, content_hash: str) -> str:
    """Say what publishing content under an existing version means: unchanged, or a conflict."""
    return "unchanged" if existing.content_hash == content_hash else "conflict"
