"""The partner contract: the events partners receive, on every feed, about organisations that consented.

A partner (a bank pricing digital risk, a chamber of commerce running a programme, a
consultancy) receives an event only when the organisation it is about held a live grant to it,
for that kind, at the time of the event. The payloads carry what this contract documents and
nothing else: no account id, no respondent, no answer, no evidence. Each event goes out on the
partner's signed webhooks, its pull feed and its own Kafka topic, with the same event id.
Versioned like every event: a breaking change is a new `…v2` type.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field

from shared.events.contracts.assessment import Assurance, PartnerEventKind
from shared.events.contracts.benchmark import FigureSummary
from shared.events.envelope import Event, EventRegistry, with_example

PARTNER_EVENT_KINDS: tuple[PartnerEventKind, ...] = get_args(PartnerEventKind)


class PartnerOrganisation(BaseModel):
    """The organisation an event is about, as its owner described it (its id is the event's key)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    sector: str
    size_band: str
    region: str
    organisation_type: str


_ORGANISATION_EXAMPLE: dict[str, Any] = {
    "name": "Boulangerie Le Goff",
    "sector": "commerce",
    "size_band": "PME",
    "region": "bretagne",
    "organisation_type": "entreprise",
}

PARTNER_SCORED_EXAMPLE: dict[str, Any] = {
    "organisation_id": "org_8a2b4c6d8e0f1a2b",
    "organisation": _ORGANISATION_EXAMPLE,
    "diagnostic_id": "dg_3f1c9a7e5b2d4c60",
    "model_id": "dimm",
    "model_version": "2.0.0",
    "scope": "pme-10-priorites",
    "assurance": "self_assessed",
    "overall": 2.4375,
    "levers": {"S": 3.0, "OR": 2.0, "PE": 2.0, "OF": 2.5, "TI": 2.2, "E": 1.0},
    "percent_to_target": 0.79,
    "submitted_at": "2026-11-26T09:30:00Z",
    "scored_at": "2026-11-26T09:30:01Z",
}


class PartnerDiagnosticScored(Event):
    """A diagnostic of a consenting organisation was scored: its scores out of 5, no answers."""

    model_config = with_example(PARTNER_SCORED_EXAMPLE)
    event_type = "dimm.partner.diagnostic.scored.v1"
    subject_template = "{organisation_id}"

    organisation_id: str
    organisation: PartnerOrganisation
    diagnostic_id: str
    model_id: str
    model_version: str
    scope: str
    assurance: Assurance
    overall: float | None = Field(description="0–5; None when nothing applicable was answered.")
    levers: dict[str, float | None] = Field(description="Each lever's score, 0–5.")
    percent_to_target: float = Field(description="0–1: how far the organisation stands toward its targets.")
    submitted_at: datetime
    scored_at: datetime


PARTNER_FAILED_EXAMPLE: dict[str, Any] = {
    "organisation_id": "org_8a2b4c6d8e0f1a2b",
    "organisation": _ORGANISATION_EXAMPLE,
    "diagnostic_id": "dg_3f1c9a7e5b2d4c60",
    "failed_at": "2026-11-26T09:30:01Z",
}


class PartnerScoringFailed(Event):
    """A diagnostic of a consenting organisation could not be scored (it stays submitted)."""

    model_config = with_example(PARTNER_FAILED_EXAMPLE)
    event_type = "dimm.partner.diagnostic.scoring_failed.v1"
    subject_template = "{organisation_id}"

    organisation_id: str
    organisation: PartnerOrganisation
    diagnostic_id: str
    failed_at: datetime


PARTNER_AFFECTED_EXAMPLE: dict[str, Any] = {
    "organisation_id": "org_8a2b4c6d8e0f1a2b",
    "organisation": _ORGANISATION_EXAMPLE,
    "notice_id": "ntc_eaa_2025",
    "diagnostic_id": "dg_3f1c9a7e5b2d4c60",
    "notice_kind": "regulatory",
    "severity": "critical",
    "indicators": ["TIO2"],
    "deadline": "2025-06-28",
    "affected_at": "2026-11-29T09:00:05Z",
}


class PartnerOrganisationAffected(Event):
    """A published notice (model, regulation, technology) touches the organisation's latest diagnostic."""

    model_config = with_example(PARTNER_AFFECTED_EXAMPLE)
    event_type = "dimm.partner.organisation.affected.v1"
    subject_template = "{organisation_id}"

    organisation_id: str
    organisation: PartnerOrganisation
    notice_id: str
    diagnostic_id: str
    notice_kind: str
    severity: str
    indicators: list[str] = Field(description="The indicators of the diagnostic the notice touches.")
    deadline: date | None
    affected_at: datetime


PARTNER_STUDY_EXAMPLE: dict[str, Any] = {
    "study_id": "std_4f2a9c1e7b30",
    "title": "Étude nationale sur la digitalisation des bailleurs sociaux",
    "sector": "logement-social",
    "model_id": "dimm",
    "model_version": "2.0.0",
    "participants": 42,
    "results": [
        {
            "figure": "overall",
            "organisations": 42,
            "mean": 2.31,
            "quartiles": [1.84, 2.27, 2.79],
            "bands": [0.02, 0.31, 0.48, 0.17, 0.02],
        }
    ],
    "published_at": "2026-12-02T10:00:00Z",
}


class PartnerStudyPublished(Event):
    """A sector study was published, aggregated figures only (sent to partners granted it in that sector)."""

    model_config = with_example(PARTNER_STUDY_EXAMPLE)
    event_type = "dimm.partner.study.published.v1"
    subject_template = "{study_id}"

    study_id: str
    title: str
    sector: str
    model_id: str
    model_version: str
    participants: int
    results: list[FigureSummary]
    published_at: datetime


PartnerEvent = (
    PartnerDiagnosticScored | PartnerScoringFailed | PartnerOrganisationAffected | PartnerStudyPublished
)

#: Each kind a grant names, and the event of the contract that carries it.
PARTNER_EVENTS: dict[str, type[Event]] = {
    "diagnostic.scored": PartnerDiagnosticScored,
    "diagnostic.scoring_failed": PartnerScoringFailed,
    "organisation.affected": PartnerOrganisationAffected,
    "study.published": PartnerStudyPublished,
}


PARTNER_TOPIC = "dimm.partner.{partnerId}.events"


def partner_topic(partner_id: str) -> str:
    """Name a partner's own Kafka topic."""
    return PARTNER_TOPIC.format(partnerId=partner_id)


def register(registry: EventRegistry) -> None:
    """Register the partner events."""
    registry.register(*PARTNER_EVENTS.values())
