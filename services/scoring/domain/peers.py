"""Peer cohorts of the latest benchmark snapshot, and the one an organisation is compared with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from shared.events.contracts.benchmark import SnapshotPublished
from shared.model.vocabulary import REGIONS

PEERS_PLAN = "premium"
DIMENSIONS = ("sector", "size_band", "region")
#: Finest first: an organisation is compared with the first of its cohorts that is shown.
LADDER: tuple[tuple[str, ...], ...] = (
    ("sector", "size_band", "region"),
    ("sector", "size_band"),
    ("sector", "region"),
    ("sector",),
    ("size_band", "region"),
    ("size_band",),
    ("region",),
    (),
)
OVERALL = "overall"
LEVER_PREFIX = "lever:"


@dataclass(frozen=True)
class PeerFigure:
    """One figure of a cohort (`overall`, `lever:S`…): how many organisations, quartiles Q1, median, Q3."""

    figure: str
    organisations: int
    quartiles: tuple[float, ...]

    @property
    def median(self) -> float:
        """Return the median (the second quartile)."""
        return self.quartiles[1]


@dataclass(frozen=True)
class PeerCohort:
    """A cohort of a snapshot; None in a dimension means every value of it (a coarser cohort)."""

    assurance: str
    sector: str | None
    size_band: str | None
    region: str | None
    organisations: int | None
    withheld: bool
    figures: tuple[PeerFigure, ...] = ()

    def figure(self, name: str) -> PeerFigure | None:
        """Return a figure of the cohort, or None when the snapshot has none."""
        return next((f for f in self.figures if f.figure == name), None)

    @property
    def levers(self) -> dict[str, PeerFigure]:
        """Return the lever figures present, by lever code."""
        return {
            f.figure.removeprefix(LEVER_PREFIX): f for f in self.figures if f.figure.startswith(LEVER_PREFIX)
        }

    @property
    def key(self) -> tuple[str, str | None, str | None, str | None]:
        """Identify the cohort within its snapshot."""
        return (self.assurance, self.sector, self.size_band, self.region)

    @property
    def shown(self) -> bool:
        """Tell whether the cohort may be compared with: not withheld, and it has an overall figure."""
        return not self.withheld and self.figure(OVERALL) is not None

    def covers(self, profile: Mapping[str, str]) -> bool:
        """Tell whether an organisation of this profile belongs to the cohort."""
        return all(getattr(self, d) in (None, profile.get(d)) for d in DIMENSIONS)


@dataclass(frozen=True)
class PeerSnapshot:
    """The cohorts of one benchmark snapshot of a model version."""

    snapshot_id: str
    model_id: str
    model_version: str
    taken_at: datetime
    cohorts: tuple[PeerCohort, ...]

    @classmethod
    def of(cls, event: SnapshotPublished) -> PeerSnapshot:
        """Read a published snapshot: every cohort, with each figure's quartiles."""
        cohorts = tuple(
            PeerCohort(
                assurance=c.assurance,
                sector=c.sector,
                size_band=c.size_band,
                region=c.region,
                organisations=c.organisations,
                withheld=c.withheld,
                # Quartiles are Q1, median, Q3: a figure without all three has no median to show.
                figures=tuple(
                    PeerFigure(f.figure, f.organisations, tuple(f.quartiles))
                    for f in c.figures
                    if len(f.quartiles) == 3
                ),
            )
            for c in event.cohorts
        )
        return cls(event.snapshot_id, event.model_id, event.model_version, event.taken_at, cohorts)

    def around(self, profile: Mapping[str, str]) -> PeerSnapshot:
        """Keep only the cohorts of assurance `all` that an organisation of this profile belongs to."""
        return replace(
            self, cohorts=tuple(c for c in self.cohorts if c.assurance == "all" and c.covers(profile))
        )


@dataclass(frozen=True)
class Peers:
    """The cohort an organisation is compared with, and the snapshot it comes from."""

    cohort: PeerCohort
    snapshot_id: str
    taken_at: datetime


@dataclass(frozen=True)
class Comparison:
    """The peers a caller sees: None when no cohort is shown, or when the plan lacks them (`needs_plan`)."""

    peers: Peers | None
    needs_plan: str | None = None


def compare(snapshot: PeerSnapshot | None, profile: Mapping[str, str]) -> Peers | None:
    """Return the organisation's finest shown cohort of assurance `all`, or None if none is shown."""
    if snapshot is None:
        return None
    cohorts = snapshot.around(profile).cohorts
    for dimensions in LADDER:
        wanted = tuple(profile.get(d) if d in dimensions else None for d in DIMENSIONS)
        found = next((c for c in cohorts if (c.sector, c.size_band, c.region) == wanted), None)
        if found is not None and found.shown:
            return Peers(found, snapshot.snapshot_id, snapshot.taken_at)
    return None


def cohort_label(cohort: PeerCohort, sector_names: Mapping[str, str]) -> str:
    """Name a cohort in French: « logement social, toutes tailles, toutes régions »."""
    if cohort.sector is None:
        sector = "tous secteurs"
    else:
        name = sector_names.get(cohort.sector, cohort.sector.replace("-", " "))
        sector = name[:1].lower() + name[1:]
    size = cohort.size_band or "toutes tailles"
    region = REGIONS.get(cohort.region, cohort.region) if cohort.region else "toutes régions"
    return f"{sector}, {size}, {region}"


def may_compare(plan: str) -> bool:
    """Tell whether a caller's plan includes the peer comparison."""
    return plan == PEERS_PLAN


def newer(snapshot: PeerSnapshot, kept_taken_at: datetime | None) -> bool:
    """Tell whether a snapshot should replace the one kept (taken at `kept_taken_at`, if any)."""
    return kept_taken_at is None or snapshot.taken_at > kept_taken_at


def same(snapshot: PeerSnapshot, kept_taken_at: datetime | None) -> bool:
    """Tell whether a snapshot part belongs to the snapshot kept: its cohorts complete it."""
    return kept_taken_at is not None and snapshot.taken_at == kept_taken_at
