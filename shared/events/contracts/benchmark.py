"""Events of the benchmark service: cohort snapshots and national sector studies (no individual data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import Event, EventRegistry, with_example

Assurance = Literal["all", "self_assessed", "expert_validated"]


class FigureSummary(BaseModel):
    """One figure of one cohort: `overall`, `lever:S`, `groupement:SP` or `indicator:SP1`.

    Scores are 0–5; quantiles are exact on values rounded to 0.01 (linear interpolation between
    order statistics, Hyndman & Fan type 7); `bands` are shares (0–1) of the organisations per
    score band [0,1) [1,2) [2,3) [3,4) [4,5], or per level 0…5 for an indicator.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    figure: str
    organisations: int
    mean: float
    quartiles: list[float]
    deciles: list[float] | None = None
    bands: list[float]


class CohortSummary(BaseModel):
    """A cohort of a snapshot: None in a dimension means every value of it (a coarser cohort)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    assurance: Assurance
    sector: str | None
    size_band: str | None
    region: str | None
    organisations: int | None = Field(description="None when the cohort is withheld (fewer than k).")
    withheld: bool
    carried_over: int | None = Field(
        None, description="Diagnostics of an earlier model version re-scored under this one."
    )
    figures: list[FigureSummary] = Field(default_factory=list)


SNAPSHOT_EXAMPLE: dict[str, Any] = {
    "snapshot_id": "snap_20261129_dimm_2_0_0",
    "model_id": "dimm",
    "model_version": "2.0.0",
    "taken_at": "2026-11-29T02:00:00Z",
    "min_cohort_size": 5,
    "organisations": 1240,
    "part": 2,
    "parts": 14,
    "cohorts": [
        {
            "assurance": "all",
            "sector": "logement-social",
            "size_band": None,
            "region": None,
            "organisations": 37,
            "withheld": False,
            "carried_over": 4,
            "figures": [
                {
                    "figure": "overall",
                    "organisations": 37,
                    "mean": 2.41,
                    "quartiles": [1.98, 2.37, 2.86],
                    "bands": [0.03, 0.22, 0.46, 0.27, 0.02],
                }
            ],
        },
        {
            "assurance": "all",
            "sector": "logement-social",
            "size_band": "TPE",
            "region": None,
            "organisations": None,
            "withheld": True,
        },
    ],
}


class SnapshotPublished(Event):
    """Emitted in parts when a benchmark snapshot is published: overall and lever figures of its cohorts.

    A snapshot's cohorts travel in `parts` events (the cohorts of every sector together first,
    then one part per sector), so no record outgrows what a broker accepts; all parts share the
    snapshot's id and date, and the subject `model@version` keeps them in order.
    """

    model_config = with_example(SNAPSHOT_EXAMPLE)
    event_type = "dimm.benchmark.snapshot.published.v1"
    subject_template = "{model_id}@{model_version}"

    snapshot_id: str
    model_id: str
    model_version: str
    taken_at: datetime
    min_cohort_size: int
    organisations: int
    cohorts: list[CohortSummary]
    part: int = Field(1, ge=1, description="Which part of the snapshot this is (a compatible addition).")
    parts: int = Field(1, ge=1, description="How many parts the snapshot has.")


STUDY_EXAMPLE: dict[str, Any] = {
    "study_id": "std_4f2a9c1e7b30",
    "title": "Étude nationale sur la digitalisation des bailleurs sociaux",
    "sector": "logement-social",
    "model_id": "dimm",
    "model_version": "2.0.0",
    "opens_at": "2026-09-01T00:00:00Z",
    "closes_at": "2026-11-30T23:59:59Z",
    "published_at": "2026-12-02T10:00:00Z",
    "participants": 42,
    "min_cohort_size": 5,
    "results": [
        {
            "figure": "overall",
            "organisations": 42,
            "mean": 2.31,
            "quartiles": [1.84, 2.27, 2.79],
            "deciles": [1.41, 1.72, 1.9, 2.08, 2.27, 2.44, 2.66, 2.93, 3.25],
            "bands": [0.02, 0.31, 0.48, 0.17, 0.02],
        }
    ],
    "comparison": [
        {
            "figure": "overall",
            "organisations": 1240,
            "mean": 2.46,
            "quartiles": [1.97, 2.44, 2.95],
            "bands": [0.03, 0.24, 0.45, 0.24, 0.04],
        }
    ],
}


class StudyPublished(Event):
    """Emitted when a national sector study is published, with its aggregated results only."""

    model_config = with_example(STUDY_EXAMPLE)
    event_type = "dimm.benchmark.study.published.v1"
    subject_template = "{study_id}"

    study_id: str
    title: str
    sector: str
    model_id: str
    model_version: str
    opens_at: datetime
    closes_at: datetime
    published_at: datetime
    participants: int
    min_cohort_size: int
    results: list[FigureSummary] = Field(description="The participants' figures.")
    comparison: list[FigureSummary] = Field(
        description="The same figures for all organisations in the snapshot used for comparison."
    )


def register(registry: EventRegistry) -> None:
    """Register the benchmark events."""
    registry.register(SnapshotPublished, StudyPublished)
