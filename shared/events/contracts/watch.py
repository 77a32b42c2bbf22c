"""Events of the watch service: change notices, affected organisations (no personal data), alerts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.contracts.scoring import RoadmapStep
from shared.events.envelope import Event, EventRegistry, with_example

NoticeKind = Literal["model", "regulatory", "technology", "usage"]
Severity = Literal["info", "warning", "critical"]
AdviceCategory = Literal["strength", "attention", "improve"]
AlertStatus = Literal["open", "acknowledged", "dismissed", "resolved", "closed"]
ChangeValue = str | int | bool | list[str] | None


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelChangeItem(_Part):
    """One change between two model versions (criteria as their text)."""

    kind: str
    lever: str | None = None
    groupement: str | None = None
    indicator: str | None = None
    field: str | None = None
    level: int | None = None
    before: ChangeValue = None
    after: ChangeValue = None


class ModelChangeSummary(_Part):
    """The versions a model notice goes from and to, and what changed."""

    from_version: str
    to_version: str
    changes: list[ModelChangeItem]


NOTICE_EXAMPLE: dict[str, Any] = {
    "notice_id": "ntc_eaa_2025",
    "kind": "regulatory",
    "severity": "critical",
    "title": "Acte européen sur l'accessibilité : vos services numériques doivent être accessibles",
    "summary": "Depuis le 28 juin 2025, les produits et services couverts doivent être accessibles.",
    "source_url": "https://eur-lex.europa.eu/eli/dir/2019/882/oj",
    "see_also": ["https://www.legifrance.gouv.fr/"],
    "effective_date": "2025-06-28",
    "date_note": None,
    "deadline": None,
    "indicators": ["TIO2", "OFC1", "OFE3"],
    "groupements": [],
    "levers": [],
    "sectors": [],
    "size_bands": ["PME", "ETI", "GE"],
    "organisation_types": [],
    "model_id": "dimm",
    "min_model_version": None,
    "max_model_version": None,
    "rule": "TIO2 < 3",
    "model_change": None,
    "published_at": "2026-11-29T09:00:00Z",
}


class NoticePublished(Event):
    """Emitted when a change notice is published (the affected organisations follow, one event each)."""

    model_config = with_example(NOTICE_EXAMPLE)
    event_type = "dimm.watch.notice.published.v1"
    subject_template = "{notice_id}"

    notice_id: str
    kind: NoticeKind
    severity: Severity
    title: str
    summary: str
    source_url: str
    see_also: list[str] = Field(default_factory=list)
    effective_date: date | None = Field(description="None while the date is pending.")
    date_note: str | None = Field(None, description="What is uncertain about the dates, if anything.")
    deadline: date | None
    indicators: list[str]
    groupements: list[str]
    levers: list[str]
    sectors: list[str] = Field(description="Empty: every sector.")
    size_bands: list[str] = Field(description="Empty: every size band.")
    organisation_types: list[str] = Field(description="Empty: every organisation type.")
    model_id: str | None
    min_model_version: str | None
    max_model_version: str | None
    rule: str | None = Field(
        description="A condition on levels, e.g. `TIO2 < 3`; None: every diagnostic touched."
    )
    model_change: ModelChangeSummary | None = Field(
        description="For a model notice: the versions and changes."
    )
    published_at: datetime


class NoticeWithdrawn(Event):
    """Emitted when a published notice is withdrawn; its alerts are closed."""

    model_config = with_example(
        {
            "notice_id": "ntc_eaa_2025",
            "reason": "Published twice: see ntc_eaa_2025_v2.",
            "withdrawn_at": "2026-11-29T10:00:00Z",
        }
    )
    event_type = "dimm.watch.notice.withdrawn.v1"
    subject_template = "{notice_id}"

    notice_id: str
    reason: str
    withdrawn_at: datetime


class TouchedIndicator(_Part):
    """An indicator the notice touches, as the organisation stands on it."""

    code: str
    level: int | None
    target: int | None


class LeverImpact(_Part):
    """A lever's score under the diagnostic's version and projected under the new one."""

    code: str
    before: float | None
    after: float | None


class AdviceChange(_Part):
    """An indicator whose advice category changes (None after: the new version drops it)."""

    code: str
    level: int
    before: AdviceCategory
    after: AdviceCategory | None


class ProjectedImpact(_Part):
    """What a model notice would change in the organisation's scorecard (scores unrounded, 0–5)."""

    to_version: str
    overall_before: float | None
    overall_after: float | None
    levers: list[LeverImpact]
    advice_changes: list[AdviceChange]
    roadmap_head: list[RoadmapStep]


AFFECTED_EXAMPLE: dict[str, Any] = {
    "notice_id": "ntc_dimm_2_1_0",
    "organisation_id": "org_8a2b4c6d8e0f1a2b",
    "diagnostic_id": "dg_3f1c9a7e5b2d4c60",
    "model_id": "dimm",
    "model_version": "2.0.0",
    "kind": "model",
    "severity": "warning",
    "indicators": [{"code": "TIO2", "level": 3, "target": 3}],
    "impact": {
        "to_version": "2.1.0",
        "overall_before": 2.4375,
        "overall_after": 2.4375,
        "levers": [{"code": "TI", "before": 2.31, "after": 2.31}],
        "advice_changes": [{"code": "TIO2", "level": 3, "before": "strength", "after": "attention"}],
        "roadmap_head": [
            {
                "code": "TIO2",
                "level": 3,
                "next_level": 4,
                "target": 4,
                "gap": 1,
                "priority": 6,
                "criteria": [{"id": "TIO2.4.a", "text": "Le taux de conformité RGAA atteint au moins 75 %."}],
            }
        ],
    },
    "deadline": None,
    "affected_at": "2026-11-29T09:00:05Z",
}


class OrganisationAffected(Event):
    """Emitted per organisation whose latest diagnostic a published notice targets (no personal data)."""

    model_config = with_example(AFFECTED_EXAMPLE)
    event_type = "dimm.watch.organisation.affected.v1"
    subject_template = "{organisation_id}"

    notice_id: str
    organisation_id: str
    diagnostic_id: str
    model_id: str
    model_version: str
    kind: NoticeKind
    severity: Severity
    indicators: list[TouchedIndicator]
    impact: ProjectedImpact | None = Field(description="Only for a model notice: the re-scored projection.")
    deadline: date | None
    affected_at: datetime


class AlertChanged(Event):
    """Emitted when an organisation's alert on a notice changes status."""

    model_config = with_example(
        {
            "alert_id": "alr_6b1f0c2d9e8a7b3c4d5e6f70",
            "organisation_id": "org_8a2b4c6d8e0f1a2b",
            "notice_id": "ntc_dimm_2_1_0",
            "diagnostic_id": "dg_3f1c9a7e5b2d4c60",
            "status": "resolved",
            "previous_status": "open",
            "reason": "A newer diagnostic meets the notice's rule.",
            "changed_at": "2026-12-04T15:20:00Z",
        }
    )
    event_type = "dimm.watch.alert.changed.v1"
    subject_template = "{organisation_id}"

    alert_id: str
    organisation_id: str
    notice_id: str
    diagnostic_id: str
    status: AlertStatus
    previous_status: AlertStatus | None
    reason: str | None = None
    changed_at: datetime


class DisabledReason(StrEnum):
    FAILING = "failing"
    GONE = "gone"
    MANUAL = "manual"


class WebhookEndpointDisabled(Event):
    """Emitted by watch when an endpoint stops receiving: failing too long, gone (410) or by hand."""

    model_config = with_example(
        {
            "endpoint_id": "ep_3c5e7a9b1d2f4a6c8e0b2d4f",
            "account_id": "acc_5e6f7a8b9c0d1e2f",
            "organisation_id": None,
            "reason": "failing",
            "failing_since": "2026-11-24T03:00:00Z",
            "disabled_at": "2026-11-29T03:00:00Z",
        }
    )
    event_type = "dimm.watch.webhook_endpoint.disabled.v1"
    subject_template = "{account_id}"

    endpoint_id: str
    account_id: str
    organisation_id: str | None
    reason: DisabledReason
    failing_since: datetime | None
    disabled_at: datetime


def register(registry: EventRegistry) -> None:
    """Register the watch events."""
    registry.register(
        NoticePublished, NoticeWithdrawn, OrganisationAffected, AlertChanged, WebhookEndpointDisabled
    )
