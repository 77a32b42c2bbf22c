"""One valid example of every event contract, as a producer would send it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from shared.events.contracts.assessment import (
    AccountOpened,
    AccountPlanChanged,
    ApiKeyRevoked,
    DiagnosticSubmitted,
    DiagnosticWithdrawn,
    Divergence,
    GrantGiver,
    OrganisationErased,
    OrganisationProfile,
    OrganisationRegistered,
    OrganisationUpdated,
    PartnerGrantGiven,
    PartnerGrantRevoked,
    PartnerRegistered,
    PartnerUpdated,
    RespondentRevoked,
)
from shared.events.contracts.benchmark import (
    SNAPSHOT_EXAMPLE,
    STUDY_EXAMPLE,
    FigureSummary,
    SnapshotPublished,
    StudyPublished,
)
from shared.events.contracts.catalogue import ModelPublished
from shared.events.contracts.partner import (
    PARTNER_AFFECTED_EXAMPLE,
    PARTNER_FAILED_EXAMPLE,
    PARTNER_SCORED_EXAMPLE,
    PARTNER_STUDY_EXAMPLE,
    PartnerDiagnosticScored,
    PartnerOrganisationAffected,
    PartnerScoringFailed,
    PartnerStudyPublished,
)
from shared.events.contracts.probe import (
    BenchmarkProbeAnswered,
    ProbeRequested,
    ScoringProbeAnswered,
    WatchProbeAnswered,
)
from shared.events.contracts.scoring import SCORED_EXAMPLE, DiagnosticScored, DiagnosticScoringFailed
from shared.events.contracts.watch import (
    AFFECTED_EXAMPLE,
    NOTICE_EXAMPLE,
    AlertChanged,
    DisabledReason,
    NoticePublished,
    NoticeWithdrawn,
    OrganisationAffected,
    WebhookEndpointDisabled,
)
from shared.events.envelope import Event, encode, new_envelope
from shared.model.editions import shipped_edition

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
ORG, ACCOUNT, DIAGNOSTIC = "org_c0ffee0000000001", "acc_c0ffee0000000001", "dg_c0ffee0000000001"
PROFILE = OrganisationProfile(
    sector="commerce", size_band="PME", region="bretagne", organisation_type="entreprise"
)


FIGURE = FigureSummary(
    figure="overall", organisations=42, mean=2.4, quartiles=[2.0, 2.4, 2.9], bands=[0.0, 0.2, 0.5, 0.3, 0.0]
)


def examples() -> list[Event]:
    """Return an example of every event type the platform knows."""
    answered = {"probe_id": "p1", "requested_at": NOW, "received_at": NOW}
    return [
        NoticePublished.model_validate(NOTICE_EXAMPLE),
        NoticeWithdrawn(notice_id="ntc_eaa_2025", reason="date erronée", withdrawn_at=NOW),
        OrganisationAffected.model_validate(AFFECTED_EXAMPLE),
        AlertChanged(
            alert_id="alr_1",
            organisation_id="org_1",
            notice_id="ntc_eaa_2025",
            diagnostic_id="dg_1",
            status="open",
            previous_status=None,
            changed_at=NOW,
        ),
        WebhookEndpointDisabled(
            endpoint_id="ep_1",
            account_id="acc_1",
            organisation_id=None,
            reason=DisabledReason.FAILING,
            failing_since=NOW,
            disabled_at=NOW,
        ),
        ProbeRequested(probe_id="p1", requested_at=NOW),
        ScoringProbeAnswered(service="scoring", **answered),
        BenchmarkProbeAnswered(service="benchmark", **answered),
        WatchProbeAnswered(service="watch", **answered),
        ModelPublished.of(shipped_edition("2.0.0"), at=NOW),
        OrganisationRegistered(
            organisation_id=ORG, account_id=ACCOUNT, name="Boulangerie", profile=PROFILE, registered_at=NOW
        ),
        OrganisationUpdated(
            organisation_id=ORG, account_id=ACCOUNT, name="Boulangerie", profile=PROFILE, updated_at=NOW
        ),
        OrganisationErased(organisation_id=ORG, account_id=ACCOUNT, erased_at=NOW),
        DiagnosticSubmitted(
            diagnostic_id=DIAGNOSTIC,
            organisation_id=ORG,
            account_id=ACCOUNT,
            profile=PROFILE,
            model_id="dimm",
            model_version="2.0.0",
            scope="pme-10-priorites",
            levels={"SP1": 2, "SE4": 3},
            not_applicable=[],
            divergences=[Divergence(indicator="SP1", levels=[1, 3], spread=2)],
            submitted_at=NOW,
            criteria_met={"SP1": ["SP1.1.a"]},
            organisation_name="Boulangerie",
        ),
        DiagnosticWithdrawn(
            diagnostic_id=DIAGNOSTIC, organisation_id=ORG, account_id=ACCOUNT, withdrawn_at=NOW
        ),
        ApiKeyRevoked(client_id="dimm_ck_0123456789abcdef", account_id=ACCOUNT, revoked_at=NOW),
        RespondentRevoked(
            respondent_id="rsp_c0ffee000001",
            diagnostic_id=DIAGNOSTIC,
            organisation_id=ORG,
            account_id=ACCOUNT,
            revoked_at=NOW,
        ),
        DiagnosticScored.model_validate(SCORED_EXAMPLE),
        AccountOpened(account_id=ACCOUNT, plan="free", opened_at=NOW),
        AccountPlanChanged(account_id=ACCOUNT, plan="premium", previous_plan="free", changed_at=NOW),
        SnapshotPublished.model_validate(SNAPSHOT_EXAMPLE),
        StudyPublished.model_validate(STUDY_EXAMPLE),
        DiagnosticScoringFailed(
            diagnostic_id=DIAGNOSTIC, organisation_id=ORG, account_id=ACCOUNT, reason="waited", failed_at=NOW
        ),
        PartnerRegistered(
            partner_id="ptn_1", name="Banque Exemple", event_kinds=["diagnostic.scored"], registered_at=NOW
        ),
        PartnerUpdated(
            partner_id="ptn_1",
            name="Banque Exemple",
            event_kinds=["diagnostic.scored", "study.published"],
            active=False,
            updated_at=NOW,
        ),
        PartnerGrantGiven(
            grant_id="grt_1",
            partner_id="ptn_1",
            organisation_id=ORG,
            event_kinds=["diagnostic.scored"],
            expires_at=None,
            backfill=True,
            given_by=GrantGiver(account_id=ACCOUNT, client_id="dimm_ck_1"),
            given_at=NOW,
        ),
        PartnerGrantRevoked(
            grant_id="grt_1",
            partner_id="ptn_1",
            organisation_id=ORG,
            reason="erased",
            revoked_by=None,
            revoked_at=NOW,
        ),
        PartnerDiagnosticScored.model_validate(PARTNER_SCORED_EXAMPLE),
        PartnerScoringFailed.model_validate(PARTNER_FAILED_EXAMPLE),
        PartnerOrganisationAffected.model_validate(PARTNER_AFFECTED_EXAMPLE),
        PartnerStudyPublished.model_validate(PARTNER_STUDY_EXAMPLE),
    ]


def with_additions(event: Event) -> tuple[list[tuple[str, bytes]], bytes]:
    """Encode an event as a newer producer would: a field in every object, an extension attribute."""
    record = encode(new_envelope(event, source="/dimm/future", subject="org-1"))
    headers = [*record.headers, ("ce_futureattribute", b"from a newer producer")]
    return headers, json.dumps(_with_field(event)).encode()


def _with_field(value: Any) -> Any:
    """Dump a value as JSON, adding an unknown field to each contract object in it."""
    if isinstance(value, BaseModel):
        dumped = {name: _with_field(getattr(value, name)) for name in type(value).model_fields}
        return {**dumped, "x_added_later": {"any": [1, "two"]}}
    if isinstance(value, list | tuple):
        return [_with_field(v) for v in value]
    if isinstance(value, dict):
        return {k: _with_field(v) for k, v in value.items()}
    return (
        json.loads(json.dumps(value, default=str)) if not isinstance(value, datetime) else value.isoformat()
    )
