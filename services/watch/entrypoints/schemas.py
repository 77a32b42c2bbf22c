"""HTTP bodies and views of the watch service (never reused as events)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.watch.domain.alerts import Alert
from services.watch.domain.deliveries import Delivery, Message
from services.watch.domain.endpoints import Endpoint
from services.watch.domain.inbox import InboxItem
from services.watch.domain.notices import Notice

Kind = Literal["model", "regulatory", "technology", "usage"]
Severity = Literal["info", "warning", "critical"]
Codes = list[str]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoticeBody(_Body):
    """A change notice as an operator writes it (created as a draft)."""

    id: str | None = Field(None, pattern=r"^ntc_[a-z0-9_]{3,60}$", description="Chosen id, or one is made.")
    kind: Literal["regulatory", "technology", "usage"]
    severity: Severity
    title_fr: str = Field(min_length=3, max_length=300)
    summary_fr: str = Field(min_length=3, max_length=5000)
    source_url: str = Field(max_length=2000)
    see_also: list[str] = Field(default_factory=list, max_length=10)
    effective_date: date | None = None
    date_note: str | None = Field(None, max_length=500)
    deadline: date | None = None
    indicators: Codes = Field(default_factory=list, max_length=200)
    groupements: Codes = Field(default_factory=list, max_length=50)
    levers: Codes = Field(default_factory=list, max_length=10)
    sectors: Codes = Field(default_factory=list, max_length=50)
    size_bands: Codes = Field(default_factory=list, max_length=4)
    organisation_types: Codes = Field(default_factory=list, max_length=10)
    model_id: str = Field("dimm", max_length=64)
    rule: str | None = Field(None, max_length=1000, description='e.g. "TIO2 < 3 and (ORS3 >= 2 or SE4 = 0)"')
    mapping_note: str = Field("", max_length=5000)


class NoticeRevision(_Body):
    """Changes to a draft notice (only the fields given)."""

    title_fr: str | None = Field(None, min_length=3, max_length=300)
    summary_fr: str | None = Field(None, min_length=3, max_length=5000)
    source_url: str | None = Field(None, max_length=2000)
    effective_date: date | None = None
    deadline: date | None = None
    severity: Severity | None = None
    date_note: str | None = Field(None, max_length=500)
    mapping_note: str | None = Field(None, max_length=5000)


class WithdrawBody(_Body):
    """Why a notice is withdrawn."""

    reason: str = Field(min_length=3, max_length=1000)


class NoticeView(BaseModel):
    """A change notice."""

    id: str
    kind: Kind
    severity: Severity
    status: str
    title_fr: str
    summary_fr: str
    source_url: str
    see_also: list[str]
    effective_date: date | None
    date_note: str | None
    deadline: date | None
    indicators: Codes
    groupements: Codes
    levers: Codes
    sectors: Codes
    size_bands: Codes
    organisation_types: Codes
    model_id: str | None
    rule: str | None
    mapping_note: str
    from_version: str | None
    to_version: str | None
    changes: list[dict[str, Any]]
    published_at: datetime | None
    withdrawn_at: datetime | None

    @classmethod
    def of(cls, notice: Notice) -> NoticeView:
        """Present a notice."""
        scope, change = notice.scope, notice.model_change
        return cls(
            id=notice.id,
            kind=notice.kind,
            severity=notice.severity,
            status=notice.status,
            title_fr=notice.title_fr,
            summary_fr=notice.summary_fr,
            source_url=notice.source_url,
            see_also=list(notice.see_also),
            effective_date=notice.effective_date,
            date_note=notice.date_note,
            deadline=notice.deadline,
            indicators=sorted(scope.indicators),
            groupements=sorted(scope.groupements),
            levers=sorted(scope.levers),
            sectors=sorted(scope.sectors),
            size_bands=sorted(scope.size_bands),
            organisation_types=sorted(scope.organisation_types),
            model_id=scope.model_id,
            rule=None if notice.rule is None else str(notice.rule),
            mapping_note=notice.mapping_note,
            from_version=change.from_version if change else None,
            to_version=change.to_version if change else None,
            changes=[c.model_dump(mode="json") for c in change.changes] if change else [],
            published_at=notice.published_at,
            withdrawn_at=notice.withdrawn_at,
        )


class AlertView(BaseModel):
    """An organisation's alert on a notice."""

    id: str
    organisation_id: str
    notice_id: str
    diagnostic_id: str
    status: str
    opened_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    dismissed_reason: str | None
    dismissed_comment: str | None
    resolved_at: datetime | None
    reopened_count: int

    @classmethod
    def of(cls, alert: Alert) -> AlertView:
        """Present an alert."""
        return cls.model_validate(alert, from_attributes=True)


class DismissBody(_Body):
    """Why an alert is dismissed."""

    reason: Literal["not_relevant", "already_handled", "accepted_risk", "false_positive", "other"]
    comment: str | None = Field(None, max_length=1000)


class InboxItemView(BaseModel):
    """One inbox item."""

    id: str
    organisation_id: str
    alert_id: str | None
    notice_id: str
    kind: str
    severity: str
    title: str
    summary: str
    created_at: datetime
    state: str
    archived: bool
    snoozed_until: datetime | None

    @classmethod
    def of(cls, item: InboxItem) -> InboxItemView:
        """Present an item."""
        return cls.model_validate(item, from_attributes=True)


class InboxView(BaseModel):
    """The caller's inbox."""

    unread: int
    items: list[InboxItemView]


class SnoozeBody(_Body):
    """Until when an item is hidden."""

    until: datetime


class PreferencesBody(_Body):
    """Cadences per channel and kind of notice, and where e-mails go."""

    email: str | None = Field(None, pattern=r"^[^@\s]{1,64}@[^@\s]{1,255}$")
    channels: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="channel (inbox, email, webhook) → kind (model, regulatory, technology, usage) → "
        "cadence (immediately, daily, weekly, off); what is not given keeps its default",
    )


class PreferencesView(BaseModel):
    """Every channel's cadence for every kind, defaults filled in."""

    email: str | None
    channels: dict[str, dict[str, str]]


class EndpointBody(_Body):
    """A webhook endpoint to register."""

    url: str = Field(max_length=2000)
    organisation_id: str | None = Field(None, max_length=64)
    description: str = Field("", max_length=500)
    event_types: list[str] = Field(default_factory=list, max_length=20)


class EndpointView(BaseModel):
    """A webhook endpoint (its secret only when created or rotated)."""

    id: str
    url: str
    organisation_id: str | None
    description: str
    event_types: list[str]
    status: str
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    secret: str | None = None

    @classmethod
    def of(cls, endpoint: Endpoint, *, with_secret: bool = False) -> EndpointView:
        """Present an endpoint."""
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            organisation_id=endpoint.organisation_id,
            description=endpoint.description,
            event_types=list(endpoint.event_types),
            status=endpoint.status.value,
            disabled_reason=endpoint.disabled_reason.value if endpoint.disabled_reason else None,
            failing_since=endpoint.failing_since,
            created_at=endpoint.created_at,
            secret=endpoint.secret if with_secret else None,
        )


class AttemptView(BaseModel):
    """One attempt of a delivery."""

    number: int
    at: datetime
    outcome: str
    status_code: int | None
    latency_ms: float
    response_excerpt: str


class DeliveryView(BaseModel):
    """A message to an endpoint and its attempts."""

    message_id: str
    event_type: str | None
    status: str
    next_attempt_at: datetime | None
    attempts: list[AttemptView]

    @classmethod
    def of(cls, delivery: Delivery, message: Message | None) -> DeliveryView:
        """Present a delivery."""
        return cls(
            message_id=delivery.message_id,
            event_type=message.event_type if message else None,
            status=delivery.status.value,
            next_attempt_at=delivery.next_attempt_at,
            attempts=[AttemptView.model_validate(a, from_attributes=True) for a in delivery.attempts],
        )


class ReplayBody(_Body):
    """Which messages to send again: one, or every one since a date."""

    message_id: str | None = Field(None, max_length=64)
    since: datetime | None = None


class DigestsBody(_Body):
    """Which period's digests to stage: the day or week holding `day`."""

    cadence: Literal["daily", "weekly"]
    day: date


class DigestsView(BaseModel):
    """How many digests were staged (those already staged for the period are not again)."""

    staged: int


class ReplayView(BaseModel):
    """How many messages were scheduled again."""

    replayed: int
