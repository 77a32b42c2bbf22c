"""Events of the scoring service: a public contract for partners, benchmark and watch."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from shared.events.contracts.assessment import OrganisationProfile
from shared.events.envelope import Event, EventRegistry


class IndicatorScore(BaseModel):
    """One indicator's level against its target."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    lever: str
    groupement: str
    level: int | None
    not_applicable: bool
    target: int
    gap: int | None


class DiagnosticScored(Event):
    """Emitted when a submitted diagnostic has been scored; scores are unrounded (0–5)."""

    event_type = "dimm.scoring.diagnostic.scored.v1"

    diagnostic_id: str
    organisation_id: str
    account_id: str
    profile: OrganisationProfile
    model_id: str
    model_version: str
    scope: str
    overall: float | None
    levers: dict[str, float | None]
    groupements: dict[str, float | None]
    indicators: list[IndicatorScore]
    percent_to_target: float
    submitted_at: datetime
    scored_at: datetime


class DiagnosticScoringFailed(Event):
    """Emitted when a submitted diagnostic could not be scored (e.g. an unknown model version)."""

    event_type = "dimm.scoring.diagnostic.scoring_failed.v1"

    diagnostic_id: str
    organisation_id: str
    account_id: str
    reason: str
    failed_at: datetime


def register(registry: EventRegistry) -> None:
    """Register the scoring events."""
    registry.register(DiagnosticScored, DiagnosticScoringFailed)
