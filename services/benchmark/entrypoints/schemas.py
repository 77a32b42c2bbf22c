"""HTTP bodies and views of the benchmark API (never reused as events)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.benchmark.domain.cohorts import CohortKey
from services.benchmark.domain.publications import SnapshotRecord
from services.benchmark.domain.snapshots import CohortStats, FigureStats
from services.benchmark.domain.studies import Study
from services.benchmark.service_layer.positions import OwnFigure, Placed

QUANTILE_METHOD = (
    "Quantiles exacts sur les valeurs arrondies à 0,01 (interpolation linéaire entre statistiques d'ordre, "
    "Hyndman & Fan type 7) ; rang centile = part de la cohorte en dessous + la moitié de celle à égalité."
)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FigureView(BaseModel):
    """One figure of a cohort: distribution, and where the organisation stands when it asked."""

    figure: str = Field(description="`overall`, `lever:S`, `groupement:SP` or `indicator:SP1`.")
    organisations: int
    mean: float
    quartiles: list[float]
    deciles: list[float] | None = Field(None, description="Only for figures with enough organisations.")
    bands: list[float] = Field(description="Shares per score band [0,1) … [4,5], or per level 0…5.")
    own_value: float | None = None
    own_percentile_rank: float | None = None

    @classmethod
    def of(cls, stats: FigureStats, own: OwnFigure | None = None) -> FigureView:
        """Present a figure."""
        return cls(
            figure=stats.figure,
            organisations=stats.organisations,
            mean=round(stats.mean, 4),
            quartiles=list(stats.quartiles),
            deciles=list(stats.deciles) if stats.deciles is not None else None,
            bands=[round(b, 4) for b in stats.bands],
            own_value=own.value if own else None,
            own_percentile_rank=None
            if own is None or own.percentile_rank is None
            else round(own.percentile_rank, 2),
        )


class CohortView(BaseModel):
    """A cohort: every figure when shown; only that it is withheld otherwise (fewer than k)."""

    assurance: str
    sector: str | None
    size_band: str | None
    region: str | None
    label: str
    withheld: bool
    organisations: int | None = Field(
        description="Absent when withheld: fewer than k, never the exact count."
    )
    carried_over: int | None = Field(None, description="Diagnostics of an earlier model version re-scored.")
    figures: list[FigureView]

    @classmethod
    def of(cls, stats: CohortStats, own: dict[str, OwnFigure] | None = None) -> CohortView:
        """Present a cohort (with the organisation's own values, if any)."""
        key = stats.key
        mine = own or {}
        return cls(
            assurance=key.assurance,
            sector=key.sector,
            size_band=key.size_band,
            region=key.region,
            label=key.label,
            withheld=stats.withheld,
            organisations=None if stats.withheld else stats.organisations,
            carried_over=None if stats.withheld else stats.carried_over,
            figures=[]
            if stats.withheld
            else [FigureView.of(f, mine.get(n)) for n, f in stats.figures.items()],
        )

    @classmethod
    def placed(cls, placed: Placed) -> CohortView:
        """Present one of the organisation's cohorts with its own values."""
        return cls.of(placed.stats, placed.own)


class SnapshotView(BaseModel):
    """The snapshot the figures come from."""

    snapshot_id: str
    model_id: str
    model_version: str
    taken_at: datetime
    min_cohort_size: int
    organisations: int
    method: str = QUANTILE_METHOD

    @classmethod
    def of(cls, record: SnapshotRecord) -> SnapshotView:
        """Present a snapshot's metadata."""
        return cls(
            snapshot_id=record.snapshot_id,
            model_id=record.model_id,
            model_version=record.model_version,
            taken_at=record.taken_at,
            min_cohort_size=record.min_cohort_size,
            organisations=record.organisations,
        )


class PositionView(BaseModel):
    """What every plan sees: the organisation among all organisations, and its sector's median."""

    organisation_id: str
    plan: Literal["free", "premium"]
    snapshot: SnapshotView
    contributing: bool
    all_organisations: CohortView | None
    sector: str
    sector_median: float | None = Field(description="Median overall score of the sector; None when withheld.")
    premium_adds: str | None = Field(None, description="For a free account: what the premium plan shows.")


class PeersView(BaseModel):
    """Every cohort the organisation belongs to, finest first, with its own value and rank in each."""

    organisation_id: str
    snapshot: SnapshotView
    contributing: bool
    sector_median: float | None
    cohorts: list[CohortView]


class ContributionBody(_Body):
    """Whether the organisation's diagnostics count in the statistics (it sees the benchmark either way)."""

    contributing: bool


class ContributionView(BaseModel):
    """The organisation's choice, effective from the next snapshot."""

    organisation_id: str
    contributing: bool


def cohort_key(assurance: str, sector: str | None, size_band: str | None, region: str | None) -> CohortKey:
    """Build the key of a cohort asked for in a query string (a missing dimension means all)."""
    return CohortKey(assurance, sector or None, size_band or None, region or None)  # type: ignore[arg-type]


class StudyCreate(_Body):
    """A national sector study (operator)."""

    title: str = Field(min_length=3, max_length=200)
    sector: str = Field(max_length=64)
    model_id: str = Field("dimm", max_length=64)
    model_version: str = Field(max_length=64)
    opens_at: datetime
    closes_at: datetime
    min_participants: int = Field(10, ge=1, le=100_000)


class StudyView(BaseModel):
    """A study, its dates and status, and how many organisations take part (a count only)."""

    study_id: str
    title: str
    sector: str
    model_id: str
    model_version: str
    opens_at: datetime
    closes_at: datetime
    min_participants: int
    status: str
    participants: int

    @classmethod
    def of(cls, study: Study) -> StudyView:
        """Present a study."""
        return cls(
            study_id=study.study_id,
            title=study.title,
            sector=study.sector,
            model_id=study.model_id,
            model_version=study.model_version,
            opens_at=study.opens_at,
            closes_at=study.closes_at,
            min_participants=study.min_participants,
            status=study.status,
            participants=len(study.enrolments),
        )


class StudyList(BaseModel):
    """Every study."""

    studies: list[StudyView]


class EnrolmentBody(_Body):
    """Enrol one of the account's organisations (its consent is recorded)."""

    organisation_id: str = Field(max_length=64)


class EnrolmentView(BaseModel):
    """An organisation's consent to a study."""

    study_id: str
    organisation_id: str
    enrolled_at: datetime


class StudyResultsView(BaseModel):
    """A published study: the participants' figures beside all organisations'."""

    study: StudyView
    published_at: datetime
    participants: int
    results: CohortView
    comparison: CohortView | None
    method: str = QUANTILE_METHOD
