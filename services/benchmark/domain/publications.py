"""What the benchmark publishes: snapshots of every cohort, and the results of national studies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.benchmark.domain.cohorts import CohortKey
from services.benchmark.domain.snapshots import CohortStats, FigureStats, Snapshot
from services.benchmark.domain.studies import Study
from shared.aggregate import Aggregate
from shared.events.contracts.benchmark import CohortSummary, FigureSummary, SnapshotPublished, StudyPublished

#: The figures a snapshot event carries per cohort: enough for a report's peer outline.
EVENT_FIGURES = ("overall", "lever:")


def figure_summary(stats: FigureStats) -> FigureSummary:
    """Return a figure as events and the API show it."""
    return FigureSummary(
        figure=stats.figure,
        organisations=stats.organisations,
        mean=stats.mean,
        quartiles=list(stats.quartiles),
        deciles=list(stats.deciles) if stats.deciles is not None else None,
        bands=list(stats.bands),
    )


def cohort_summary(cohort: CohortStats, *, figures: tuple[str, ...] | None = None) -> CohortSummary:
    """Return a cohort as events and the API show it (a withheld one says so, and nothing more)."""
    key = cohort.key
    shown = [] if cohort.withheld else [s for name, s in cohort.figures.items() if _wanted(name, figures)]
    return CohortSummary(
        assurance=key.assurance,
        sector=key.sector,
        size_band=key.size_band,
        region=key.region,
        organisations=None if cohort.withheld else cohort.organisations,
        withheld=cohort.withheld,
        carried_over=None if cohort.withheld else cohort.carried_over,
        figures=[figure_summary(s) for s in shown],
    )


def _wanted(name: str, prefixes: tuple[str, ...] | None) -> bool:
    return prefixes is None or any(name == p or (p.endswith(":") and name.startswith(p)) for p in prefixes)


@dataclass
class SnapshotRecord(Aggregate):
    """A published snapshot: its date, its rule, and (when loaded whole) its cohorts."""

    snapshot_id: str
    model_id: str
    model_version: str
    taken_at: datetime
    min_cohort_size: int
    organisations: int
    snapshot: Snapshot | None = None

    @classmethod
    def publish(
        cls, snapshot: Snapshot, *, model_id: str, model_version: str, at: datetime
    ) -> SnapshotRecord:
        """Publish a snapshot: every cohort stored, the overall and lever figures announced."""
        snapshot_id = f"snap_{at:%Y%m%dT%H%M%S%f}_{model_id}_{model_version}"
        record = cls(
            snapshot_id,
            model_id,
            model_version,
            at,
            snapshot.min_cohort_size,
            snapshot.organisations,
            snapshot,
        )
        parts = _parts(snapshot)
        for number, cohorts in enumerate(parts, start=1):
            record.record(
                SnapshotPublished(
                    snapshot_id=snapshot_id,
                    model_id=model_id,
                    model_version=model_version,
                    taken_at=at,
                    min_cohort_size=snapshot.min_cohort_size,
                    organisations=snapshot.organisations,
                    cohorts=[cohort_summary(c, figures=EVENT_FIGURES) for c in cohorts],
                    part=number,
                    parts=len(parts),
                ),
                subject=f"{model_id}@{model_version}",
            )
        return record


def _parts(snapshot: Snapshot) -> list[list[CohortStats]]:
    """Split the cohorts of assurance `all` by sector (every sector's first), small enough for a record."""
    by_sector: dict[str | None, list[CohortStats]] = {None: []}
    for key in sorted((k for k in snapshot.cohorts if k.assurance == "all"), key=lambda k: k.sort_key):
        by_sector.setdefault(key.sector, []).append(snapshot.cohorts[key])
    return list(by_sector.values())


@dataclass(frozen=True)
class StudyResults:
    """A study's published results: the participants' cohort beside all organisations'."""

    study_id: str
    participants: int
    results: CohortStats
    comparison: CohortStats | None
    published_at: datetime
    min_cohort_size: int


def publish_study(study: Study, results: StudyResults) -> None:
    """Mark a study published and record its event, with aggregated results only."""
    study.published(at=results.published_at)
    study.record(
        StudyPublished(
            study_id=study.study_id,
            title=study.title,
            sector=study.sector,
            model_id=study.model_id,
            model_version=study.model_version,
            opens_at=study.opens_at,
            closes_at=study.closes_at,
            published_at=results.published_at,
            participants=results.participants,
            min_cohort_size=results.min_cohort_size,
            results=[figure_summary(s) for s in results.results.figures.values()],
            comparison=[figure_summary(s) for s in results.comparison.figures.values()]
            if results.comparison is not None
            else [],
        ),
        subject=study.study_id,
    )


ALL_ORGANISATIONS = CohortKey("all", None, None, None)
