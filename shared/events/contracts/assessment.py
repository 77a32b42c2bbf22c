"""Events of organisations, diagnostics, respondents and API keys (assessment service)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import Event, EventRegistry

Plan = Literal["free", "premium"]
Assurance = Literal["self_assessed", "expert_validated"]


class OrganisationProfile(BaseModel):
    """What benchmarks and targets depend on: sector, size band, region, type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sector: str
    size_band: str
    region: str
    organisation_type: str


class OrganisationRegistered(Event):
    """Emitted when an account registers an organisation."""

    event_type = "dimm.assessment.organisation.registered.v1"

    organisation_id: str
    account_id: str
    name: str
    profile: OrganisationProfile
    registered_at: datetime


class OrganisationUpdated(Event):
    """Emitted when an organisation's name or profile changes."""

    event_type = "dimm.assessment.organisation.updated.v1"

    organisation_id: str
    account_id: str
    name: str
    profile: OrganisationProfile
    updated_at: datetime


class OrganisationErased(Event):
    """Emitted when an organisation is erased (right to erasure): every service forgets it."""

    event_type = "dimm.assessment.organisation.erased.v1"

    organisation_id: str
    account_id: str
    erased_at: datetime


class Divergence(BaseModel):
    """Respondents who disagree by two levels or more on one indicator."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indicator: str
    levels: list[int]
    spread: int


class DiagnosticSubmitted(Event):
    """Emitted when a diagnostic is submitted: what scoring needs, no comment, evidence or respondent."""

    event_type = "dimm.assessment.diagnostic.submitted.v1"

    diagnostic_id: str
    organisation_id: str
    account_id: str
    profile: OrganisationProfile
    model_id: str
    model_version: str
    scope: str
    levels: dict[str, int]
    not_applicable: list[str]
    divergences: list[Divergence]
    submitted_at: datetime
    assessed_at: datetime | None = None
    """When the assessment was carried out, if earlier than its submission (a recorded audit)."""
    criteria_met: dict[str, list[str]] = Field(default_factory=dict)
    """Per indicator, the criteria known to be met: ticked by every respondent who answered with
    criteria, or the validator's when a validated level was set (a compatible addition)."""
    assurance: Assurance = "self_assessed"
    """`expert_validated` when every settled indicator has a validated level (a compatible addition)."""
    organisation_name: str | None = None
    """The organisation's name when the diagnostic was submitted, for its report (a compatible addition)."""


class DiagnosticWithdrawn(Event):
    """Emitted when a diagnostic is withdrawn."""

    event_type = "dimm.assessment.diagnostic.withdrawn.v1"

    diagnostic_id: str
    organisation_id: str
    account_id: str
    withdrawn_at: datetime


class ApiKeyRevoked(Event):
    """Emitted when an API key is revoked, so every service refuses the tokens it obtained."""

    event_type = "dimm.assessment.api_key.revoked.v1"

    client_id: str
    account_id: str
    revoked_at: datetime


class RespondentRevoked(Event):
    """Emitted when a respondent's access to a diagnostic is revoked, so every service refuses their token."""

    event_type = "dimm.assessment.respondent.revoked.v1"

    respondent_id: str
    """The respondent, as the token carries it (its `rsp` claim)."""
    diagnostic_id: str
    organisation_id: str
    account_id: str
    revoked_at: datetime


class AccountOpened(Event):
    """Emitted when the operator opens an account (a tenant), with its plan."""

    event_type = "dimm.assessment.account.opened.v1"

    account_id: str
    plan: Plan
    opened_at: datetime


class AccountPlanChanged(Event):
    """Emitted when an account's plan changes (free ↔ premium)."""

    event_type = "dimm.assessment.account.plan_changed.v1"

    account_id: str
    plan: Plan
    previous_plan: Plan
    changed_at: datetime


def register(registry: EventRegistry) -> None:
    """Register the assessment events."""
    registry.register(
        OrganisationRegistered,
        OrganisationUpdated,
        OrganisationErased,
        DiagnosticSubmitted,
        DiagnosticWithdrawn,
        ApiKeyRevoked,
        RespondentRevoked,
        AccountOpened,
        AccountPlanChanged,
    )
