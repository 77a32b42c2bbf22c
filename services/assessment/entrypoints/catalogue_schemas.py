"""HTTP bodies of the model catalogue (never reused as events)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel

from services.assessment.domain.catalogue import PublishedVersion
from shared.model.diff import Change, ModelDiff
from shared.model.schema import Indicator, MaturityModel, Profile


class VersionView(BaseModel):
    """A published version's metadata."""

    model_id: str
    version: str
    title: str
    content_hash: str
    indicator_count: int
    published_at: datetime

    @classmethod
    def of(cls, version: PublishedVersion) -> VersionView:
        """Present a published version."""
        return cls(**version.__dict__)


class ModelListing(BaseModel):
    """A model and its versions, oldest first."""

    model_id: str
    latest: str
    versions: list[VersionView]


class ModelList(BaseModel):
    """Every model in the catalogue."""

    models: list[ModelListing]


class ModelVersionView(BaseModel):
    """A full version: metadata and the model document."""

    version: VersionView
    model: MaturityModel


class Named(BaseModel):
    """A code and a name."""

    code: str
    name: str


class IndicatorView(BaseModel):
    """One indicator, with its lever and groupement."""

    model_id: str
    version: str
    lever: Named
    groupement: Named
    indicator: Indicator


class IndicatorSummary(BaseModel):
    """An indicator in a list."""

    code: str
    name: str
    lever: str
    groupement: str
    coefficient: int


class ProfileView(BaseModel):
    """A profile and the indicators it covers."""

    model_id: str
    version: str
    profile: Profile
    indicators: list[IndicatorSummary]


class DiffView(BaseModel):
    """What changed between two versions, with a count per kind of change."""

    from_ref: str
    to_ref: str
    counts: dict[str, int]
    indicators_touched: list[str]
    changes: list[Change]

    @classmethod
    def of(cls, diff: ModelDiff) -> DiffView:
        """Present a diff."""
        return cls(
            from_ref=diff.from_ref,
            to_ref=diff.to_ref,
            counts=dict(Counter(c.kind for c in diff.changes)),
            indicators_touched=sorted(diff.indicators_touched),
            changes=list(diff.changes),
        )


def profile_view(model: MaturityModel, profile: Profile) -> ProfileView:
    """Present a profile with its indicators."""
    summaries = []
    for code in profile.indicators:
        place = model.place(code)
        if place is not None:
            summaries.append(
                IndicatorSummary(
                    code=code,
                    name=place.indicator.name,
                    lever=place.lever,
                    groupement=place.groupement,
                    coefficient=place.indicator.coefficient,
                )
            )
    return ProfileView(model_id=model.model_id, version=model.version, profile=profile, indicators=summaries)
