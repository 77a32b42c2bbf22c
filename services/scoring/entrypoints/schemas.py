"""HTTP bodies of the scoring service (never reused as events)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shared.events.contracts.assessment import Assurance


class ScoreView(BaseModel):
    """A score out of 5 (rounded for display) and how it was computed."""

    code: str
    name: str
    score: float | None
    weighted_sum: int = Field(description="Σ coefficient × level")
    coefficient_sum: int = Field(description="Σ coefficient over the applicable, answered indicators")
    indicators: int


class IndicatorView(BaseModel):
    """One indicator: level against target, advice and contribution."""

    code: str
    name: str
    lever: str
    groupement: str
    coefficient: int
    level: int | None
    not_applicable: bool
    target: int
    gap: int | None
    advice: str | None
    advice_label: str | None
    contribution: int


class ActionView(BaseModel):
    """A roadmap step."""

    code: str
    name: str
    lever: str
    level: int
    target: int
    gap: int
    priority: int
    next_level: int
    criteria: list[str] = Field(description="The next level's criteria not met yet, in model order.")
    criteria_ids: list[str] = Field(default_factory=list, description="Their ids, in the same order.")


class ProgressView(BaseModel):
    """Change since the previous scored diagnostic of the organisation."""

    previous_diagnostic_id: str
    previous_assessed_at: datetime
    overall: float | None
    levers: dict[str, float | None]


class PeerFigureView(BaseModel):
    """A figure of the peer cohort (0–5): its median and quartiles."""

    median: float
    quartiles: list[float] = Field(description="Q1, median, Q3.")
    organisations: int = Field(description="Organisations of the cohort with this figure.")


class PeersView(BaseModel):
    """The cohort of the latest benchmark snapshot the organisation is compared with."""

    label: str = Field(examples=["logement social, toutes tailles, toutes régions"])
    sector: str | None = Field(description="None: every sector.")
    size_band: str | None = Field(description="None: every size.")
    region: str | None = Field(description="None: every region.")
    assurance: str = Field(description="`all`: self-assessed and expert-validated diagnostics alike.")
    organisations: int | None
    snapshot_id: str
    taken_at: datetime
    overall: PeerFigureView | None
    levers: dict[str, PeerFigureView] = Field(description="By lever code; only the figures the snapshot has.")


class ScorecardView(BaseModel):
    """A scorecard: scores, advice, roadmap, progress, and the method behind every number."""

    diagnostic_id: str
    organisation_id: str
    organisation_name: str | None = Field(
        None, description="The organisation's name when the diagnostic was submitted (None if not known)."
    )
    model_id: str
    model_version: str
    scope: str
    profile: dict[str, str]
    profile_labels: dict[str, str] = Field(
        default_factory=dict,
        description="The profile in words (French): sector, size band, region, organisation type.",
    )
    submitted_at: datetime
    scored_at: datetime
    assessed_at: datetime
    assurance: Assurance = Field(
        "self_assessed",
        description="`expert_validated` when every level was validated by an expert, else `self_assessed`.",
    )
    overall: ScoreView
    levers: list[ScoreView]
    groupements: list[ScoreView]
    percent_to_target: float = Field(description="Percentage of the targets reached (0–100).")
    indicators: list[IndicatorView]
    advice: dict[str, list[str]]
    roadmap: list[ActionView]
    divergences: list[dict[str, Any]]
    progress: ProgressView | None
    method: list[str]
    peers: PeersView | None = Field(
        None,
        description="The finest cohort of the organisation shown in the latest benchmark snapshot "
        "(premium plan); None without one.",
    )
    peers_available_with: Literal["premium"] | None = Field(
        None, description="The plan that shows the peers, when the caller's does not."
    )


class HistoryPoint(BaseModel):
    """One scored diagnostic in an organisation's time series."""

    diagnostic_id: str
    assessed_at: datetime
    submitted_at: datetime
    model_version: str
    scope: str
    overall: float | None
    levers: dict[str, float | None]
    percent_to_target: float
    assurance: Assurance = "self_assessed"


class HistoryView(BaseModel):
    """An organisation's scores over time, oldest first, and the latest progress."""

    organisation_id: str
    points: list[HistoryPoint]
    progress: ProgressView | None


class SimulationBody(BaseModel):
    """Levels to change, to see the scorecard that would result."""

    model_config = ConfigDict(extra="forbid")

    levels: dict[Annotated[str, Field(max_length=16)], Annotated[StrictInt, Field(ge=0, le=5)]] = Field(
        max_length=200
    )
