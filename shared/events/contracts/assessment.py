"""Events of organisations, diagnostics, respondents and API keys (assessment service)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import Event, EventRegistry, with_example

Plan = Literal["free", "premium"]
Assurance = Literal["self_assessed", "expert_validated"]

_ACCOUNT = {"account_id": "acc_5e6f7a8b9c0d1e2f"}
_ORGANISATION = {"organisation_id": "org_8a2b4c6d8e0f1a2b", **_ACCOUNT}
_DIAGNOSTIC = {"diagnostic_id": "dg_3f1c9a7e5b2d4c60", **_ORGANISATION}
PROFILE_EXAMPLE: dict[str, Any] = {
    "sector": "commerce",
    "size_band": "PME",
    "region": "bretagne",
    "organisation_type": "entreprise",
}
_NAMED = {**_ORGANISATION, "name": "Boulangerie Martin", "profile": PROFILE_EXAMPLE}
SUBMITTED_EXAMPLE: dict[str, Any] = {
    **_DIAGNOSTIC,
    "profile": PROFILE_EXAMPLE,
    "model_id": "dimm",
    "model_version": "2.0.0",
    "scope": "pme-10-priorites",
    "levels": {"SP1": 3, "EE4": 1},
    "not_applicable": [],
    "divergences": [{"indicator": "EE4", "levels": [1, 3], "spread": 2}],
    "submitted_at": "2026-11-26T09:30:00Z",
    "assessed_at": None,
    "criteria_met": {"SP1": ["SP1.1.a", "SP1.2.a", "SP1.3.a"], "EE4": ["EE4.1.a"]},
    "assurance": "self_assessed",
}


class OrganisationProfile(BaseModel):
    """What benchmarks and targets depend on: sector, size band, region, type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sector: str
    size_band: str
    region: str
    organisation_type: str


class OrganisationRegistered(Event):
    """Emitted when an account registers an organisation."""

    model_config = with_example({**_NAMED, "registered_at": "2026-11-25T14:02:11Z"})
    event_type = "dimm.assessment.organisation.registered.v1"
    subject_template = "{organisation_id}"

    organisation_id: str
    account_id: str
    name: str
    profile: OrganisationProfile
    registered_at: datetime


class OrganisationUpdated(Event):
    """Emitted when an organisation's name or profile changes."""

    model_config = with_example({**_NAMED, "updated_at": "2026-11-25T16:40:00Z"})
    event_type = "dimm.assessment.organisation.updated.v1"
    subject_template = "{organisation_id}"

    organisation_id: str
    account_id: str
    name: str
    profile: OrganisationProfile
    updated_at: datetime


class OrganisationErased(Event):
    """Emitted when an organisation is erased (right to erasure): every service forgets it."""

    model_config = with_example({**_ORGANISATION, "erased_at": "2026-12-01T10:00:00Z"})
    event_type = "dimm.assessment.organisation.erased.v1"
    subject_template = "{organisation_id}"

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

    model_config = with_example(SUBMITTED_EXAMPLE)
    event_type = "dimm.assessment.diagnostic.submitted.v1"
    subject_template = "{organisation_id}"

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

    model_config = with_example({**_DIAGNOSTIC, "withdrawn_at": "2026-11-27T08:15:00Z"})
    event_type = "dimm.assessment.diagnostic.withdrawn.v1"
    subject_template = "{organisation_id}"

    diagnostic_id: str
    organisation_id: str
    account_id: str
    withdrawn_at: datetime


class ApiKeyRevoked(Event):
    """Emitted when an API key is revoked, so every service refuses the tokens it obtained."""

    model_config = with_example(
        {"client_id": "dimm_ck_9f3a5c7e1b2d4f60", **_ACCOUNT, "revoked_at": "2026-11-28T11:00:00Z"}
    )
    event_type = "dimm.assessment.api_key.revoked.v1"
    subject_template = "{account_id}"

    client_id: str
    account_id: str
    revoked_at: datetime


class RespondentRevoked(Event):
    """Emitted when a respondent's access to a diagnostic is revoked, so every service refuses their token."""

    model_config = with_example(
        {"respondent_id": "rsp_4d2e6f8a0b1c", **_DIAGNOSTIC, "revoked_at": "2026-11-26T08:00:00Z"}
    )
    event_type = "dimm.assessment.respondent.revoked.v1"
    subject_template = "{organisation_id}"

    respondent_id: str
    """The respondent, as the token carries it (its `rsp` claim)."""
    diagnostic_id: str
    organisation_id: str
    account_id: str
    revoked_at: datetime


class AccountOpened(Event):
    """Emitted when the operator opens an account (a tenant), with its plan."""

    model_config = with_example({**_ACCOUNT, "plan": "premium", "opened_at": "2026-11-25T14:00:00Z"})
    event_type = "dimm.assessment.account.opened.v1"
    subject_template = "{account_id}"

    account_id: str
    plan: Plan
    opened_at: datetime


class AccountPlanChanged(Event):
    """Emitted when an account's plan changes (free ↔ premium)."""

    model_config = with_example(
        {**_ACCOUNT, "plan": "premium", "previous_plan": "free", "changed_at": "2026-11-28T09:00:00Z"}
    )
    event_type = "dimm.assessment.account.plan_changed.v1"
    subject_template = "{account_id}"

    account_id: str
    plan: Plan
    previous_plan: Plan
    changed_at: datetime


PartnerEventKind = Literal[
    "diagnostic.scored", "diagnostic.scoring_failed", "organisation.affected", "study.published"
]
"""What a partner may receive: the kinds of the partner contract (`shared.events.contracts.partner`)."""


class PartnerRegistered(Event):
    """Emitted when the operator registers a partner (a bank, a chamber of commerce, a consultancy)."""

    model_config = with_example(
        {
            "partner_id": "ptn_3c9e1f0a7b2d4e6f",
            "name": "Banque Exemple",
            "event_kinds": ["diagnostic.scored", "study.published"],
            "registered_at": "2026-11-29T09:00:00Z",
        }
    )
    event_type = "dimm.assessment.partner.registered.v1"
    subject_template = "{partner_id}"

    partner_id: str
    name: str
    event_kinds: list[PartnerEventKind]
    registered_at: datetime


class PartnerUpdated(Event):
    """Emitted when the operator renames a partner, changes what it may receive, or suspends it."""

    model_config = with_example(
        {
            "partner_id": "ptn_3c9e1f0a7b2d4e6f",
            "name": "Banque Exemple",
            "event_kinds": ["diagnostic.scored"],
            "active": False,
            "updated_at": "2026-11-30T09:00:00Z",
        }
    )
    event_type = "dimm.assessment.partner.updated.v1"
    subject_template = "{partner_id}"

    partner_id: str
    name: str
    event_kinds: list[PartnerEventKind]
    active: bool
    updated_at: datetime


class GrantGiver(BaseModel):
    """Who gave a grant: the account and the API key its token came from (consent evidence)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str
    client_id: str | None


class PartnerGrantGiven(Event):
    """Emitted when an organisation's owner lets a partner receive some of its events."""

    model_config = with_example(
        {
            "grant_id": "grt_8d2e4f6a1b3c5d7e",
            "partner_id": "ptn_3c9e1f0a7b2d4e6f",
            "organisation_id": "org_8a2b4c6d8e0f1a2b",
            "event_kinds": ["diagnostic.scored"],
            "expires_at": "2027-06-30T21:59:59Z",
            "backfill": True,
            "given_by": {"account_id": "acc_5e6f7a8b9c0d1e2f", "client_id": "dimm_ck_0a1b2c3d4e5f6a7b"},
            "given_at": "2026-11-29T09:05:00Z",
        }
    )
    event_type = "dimm.assessment.partner_grant.given.v1"
    subject_template = "{organisation_id}"

    grant_id: str
    partner_id: str
    organisation_id: str
    event_kinds: list[PartnerEventKind]
    expires_at: datetime | None
    backfill: bool = Field(description="Send the organisation's latest scorecard at once.")
    given_by: GrantGiver
    given_at: datetime


GrantEnd = Literal["revoked", "erased"]


class PartnerGrantRevoked(Event):
    """Emitted when a grant ends before its expiry: its owner revoked it, or the organisation was erased."""

    model_config = with_example(
        {
            "grant_id": "grt_8d2e4f6a1b3c5d7e",
            "partner_id": "ptn_3c9e1f0a7b2d4e6f",
            "organisation_id": "org_8a2b4c6d8e0f1a2b",
            "reason": "revoked",
            "revoked_by": {"account_id": "acc_5e6f7a8b9c0d1e2f", "client_id": "dimm_ck_0a1b2c3d4e5f6a7b"},
            "revoked_at": "2026-12-15T10:00:00Z",
        }
    )
    event_type = "dimm.assessment.partner_grant.revoked.v1"
    subject_template = "{organisation_id}"

    grant_id: str
    partner_id: str
    organisation_id: str
    reason: GrantEnd
    revoked_by: GrantGiver | None = Field(description="None when no person revoked it (erasure).")
    revoked_at: datetime


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
        PartnerRegistered,
        PartnerUpdated,
        PartnerGrantGiven,
        PartnerGrantRevoked,
    )
