"""Events of the scoring service: a public contract for partners, benchmark and watch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events.contracts.assessment import Assurance, OrganisationProfile
from shared.events.envelope import Event, EventRegistry, with_example


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


class RoadmapCriterion(BaseModel):
    """A criterion of the next level that is not met yet."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str


class RoadmapStep(BaseModel):
    """One roadmap action: raise an indicator by one level by meeting the criteria it names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    level: int
    next_level: int
    target: int
    gap: int
    priority: int
    criteria: list[RoadmapCriterion]


SCORED_EXAMPLE: dict[str, Any] = {
    "diagnostic_id": "dg_3f1c9a7e5b2d4c60",
    "organisation_id": "org_8a2b4c6d8e0f1a2b",
    "account_id": "acc_5e6f7a8b9c0d1e2f",
    "profile": {
        "sector": "commerce",
        "size_band": "PME",
        "region": "bretagne",
        "organisation_type": "entreprise",
    },
    "model_id": "dimm",
    "model_version": "2.0.0",
    "scope": "pme-10-priorites",
    "overall": 2.4375,
    "levers": {"S": 3.0, "OR": 2.0, "PE": 2.0, "OF": 2.5, "TI": 2.2, "E": 1.0},
    "groupements": {
        "SP": 3.0,
        "SE": 3.0,
        "ORM": 2.0,
        "ORS": 2.0,
        "PE": 2.0,
        "OFC": 2.5,
        "TIA": 2.2,
        "EE": 1.0,
    },
    "indicators": [
        {
            "code": "SP1",
            "lever": "S",
            "groupement": "SP",
            "level": 3,
            "not_applicable": False,
            "target": 3,
            "gap": 0,
        },
        {
            "code": "EE4",
            "lever": "E",
            "groupement": "EE",
            "level": 1,
            "not_applicable": False,
            "target": 3,
            "gap": 2,
        },
    ],
    "percent_to_target": 0.79,
    "roadmap": [
        {
            "code": "EE4",
            "level": 1,
            "next_level": 2,
            "target": 3,
            "gap": 2,
            "priority": 24,
            "criteria": [
                {
                    "id": "EE4.2.b",
                    "text": (
                        "Les conditions d'utilisation (licence, sécurité, responsabilité) sont formalisées."
                    ),
                }
            ],
        }
    ],
    "submitted_at": "2026-11-26T09:30:00Z",
    "scored_at": "2026-11-26T09:30:01Z",
}


class DiagnosticScored(Event):
    """Emitted when a submitted diagnostic has been scored; scores are unrounded (0–5)."""

    model_config = with_example(SCORED_EXAMPLE)
    event_type = "dimm.scoring.diagnostic.scored.v1"
    subject_template = "{organisation_id}"

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
    roadmap: list[RoadmapStep] = Field(default_factory=list)
    """The prioritised actions, each naming the next level's criteria not met yet (a compatible addition)."""
    assurance: Assurance = "self_assessed"
    """Carried from the submission: self-assessed, or every level validated (a compatible addition)."""


class DiagnosticScoringFailed(Event):
    """Emitted when a submitted diagnostic could not be scored (e.g. an unknown model version)."""

    model_config = with_example(
        {
            "diagnostic_id": "dg_3f1c9a7e5b2d4c60",
            "organisation_id": "org_8a2b4c6d8e0f1a2b",
            "account_id": "acc_5e6f7a8b9c0d1e2f",
            "reason": "model:dimm@9.9.9 never arrived",
            "failed_at": "2026-11-26T09:35:00Z",
        }
    )
    event_type = "dimm.scoring.diagnostic.scoring_failed.v1"
    subject_template = "{organisation_id}"

    diagnostic_id: str
    organisation_id: str
    account_id: str
    reason: str
    failed_at: datetime


def register(registry: EventRegistry) -> None:
    """Register the scoring events."""
    registry.register(DiagnosticScored, DiagnosticScoringFailed)
