"""The maturity-model document: levers → groupements → indicators → five cumulative levels."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.model.vocabulary import OrganisationType, SizeBand

LEVELS = (1, 2, 3, 4, 5)
MAX_LEVEL = 5
SEMVER_PATTERN = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"

Text = Annotated[str, Field(min_length=1, max_length=4000)]
Code = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Z]+[0-9]*$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Criterion(_Frozen):
    """A requirement to satisfy, as an auditor would check it, with the evidence to ask for."""

    id: Annotated[str, Field(min_length=1, max_length=32)]
    text: Text
    evidence: str = ""


class Level(_Frozen):
    """One level of an indicator; reaching it means meeting its criteria and every lower level's."""

    level: int
    summary: Text
    criteria: tuple[Criterion, ...]


class Applicability(_Frozen):
    """Which organisations an indicator applies to."""

    size_bands: tuple[SizeBand, ...]
    organisation_types: tuple[OrganisationType, ...]

    def applies_to(self, size_band: str, organisation_type: str) -> bool:
        """Tell whether an organisation of this size band and type is assessed on it."""
        return size_band in self.size_bands and organisation_type in self.organisation_types


class Indicator(_Frozen):
    """An assessed point: coefficient, applicability, five levels, targets per sector."""

    code: Code
    name: Text
    description: str = ""
    coefficient: int
    applicability: Applicability
    allows_na: bool = False
    default_target: int = 3
    sector_targets: dict[str, int] = Field(default_factory=dict)
    levels: tuple[Level, ...]

    def target_for(self, sector: str | None) -> int:
        """Return the level the sector is expected to reach (the default if it has none)."""
        return self.sector_targets.get(sector or "", self.default_target)

    def level(self, number: int) -> Level | None:
        """Return a level by its number."""
        return next((lvl for lvl in self.levels if lvl.level == number), None)

    def level_from_criteria(self, met: set[str]) -> int:
        """Derive the level reached from the criteria met: cumulative, so the first gap stops it."""
        reached = 0
        for number in LEVELS:
            level = self.level(number)
            if level is None or not all(c.id in met for c in level.criteria):
                break
            reached = number
        return reached

    @property
    def criterion_ids(self) -> set[str]:
        """Return the ids of every criterion of every level."""
        return {c.id for lvl in self.levels for c in lvl.criteria}


class Groupement(_Frozen):
    """An axis of analysis of a lever."""

    code: Code
    name: Text
    indicators: tuple[Indicator, ...]


class Lever(_Frozen):
    """One of the model's levers, with its key question."""

    code: Code
    name: Text
    key_question: str = ""
    groupements: tuple[Groupement, ...]


class Sector(_Frozen):
    """A sector of activity, whose targets may differ."""

    code: Annotated[str, Field(pattern=SLUG_PATTERN)]
    name: Text


class Profile(_Frozen):
    """A named subset of indicators, e.g. a quick diagnostic for SMEs."""

    code: Annotated[str, Field(pattern=SLUG_PATTERN)]
    name: Text
    description: str = ""
    indicators: tuple[str, ...]


class IndicatorPlace(_Frozen):
    """Where an indicator sits in the model."""

    lever: str
    groupement: str
    indicator: Indicator


class MaturityModel(_Frozen):
    """A version of a maturity model: immutable data, identified by its content hash."""

    model_id: Annotated[str, Field(pattern=SLUG_PATTERN)]
    version: Annotated[str, Field(pattern=SEMVER_PATTERN)]
    title: Text
    locale: str = "fr-FR"
    description: str = ""
    sectors: tuple[Sector, ...] = ()
    profiles: tuple[Profile, ...] = ()
    levers: tuple[Lever, ...]

    @property
    def ref(self) -> str:
        """Return `model_id@version`."""
        return f"{self.model_id}@{self.version}"

    def places(self) -> Iterator[IndicatorPlace]:
        """Yield every indicator with its lever and groupement, in model order."""
        return iter(self._places)

    @cached_property
    def _places(self) -> tuple[IndicatorPlace, ...]:
        return tuple(
            IndicatorPlace(lever=lever.code, groupement=groupement.code, indicator=indicator)
            for lever in self.levers
            for groupement in lever.groupements
            for indicator in groupement.indicators
        )

    @cached_property
    def _index(self) -> dict[str, IndicatorPlace]:
        return {place.indicator.code: place for place in self._places}

    def indicator(self, code: str) -> Indicator | None:
        """Return an indicator by code."""
        place = self._index.get(code)
        return place.indicator if place else None

    def place(self, code: str) -> IndicatorPlace | None:
        """Return where an indicator sits."""
        return self._index.get(code)

    def profile(self, code: str) -> Profile | None:
        """Return a profile by code."""
        return next((p for p in self.profiles if p.code == code), None)

    @property
    def indicator_count(self) -> int:
        """Count the indicators."""
        return len(self._index)

    def canonical_json(self) -> bytes:
        """Serialise deterministically (sorted keys, no spaces): the basis of the content hash."""
        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        ).encode()

    @cached_property
    def content_hash(self) -> str:
        """Identify this exact content: `sha256:<hex>`."""
        return "sha256:" + hashlib.sha256(self.canonical_json()).hexdigest()


def version_key(version: str) -> tuple[int, int, int, int, str]:
    """Sort semantic versions: a pre-release comes before its release."""
    core, _, pre = version.partition("-")
    major, minor, patch = (int(part) for part in core.split("."))
    return (major, minor, patch, 0 if pre else 1, pre)
