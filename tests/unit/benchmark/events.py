"""Scored events and organisations for the benchmark's tests, scored with the shared engine."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from shared.events.contracts.assessment import OrganisationProfile, OrganisationRegistered
from shared.events.contracts.scoring import DiagnosticScored, IndicatorScore
from shared.model.editions import shipped_edition
from shared.model.engine import DiagnosticInput, score

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def registered(
    org: str,
    *,
    account: str = "acc_1",
    sector: str = "commerce",
    size_band: str = "PME",
    region: str = "bretagne",
) -> OrganisationRegistered:
    """Return the event of an organisation's registration."""
    headcount_profile = OrganisationProfile(
        sector=sector, size_band=size_band, region=region, organisation_type="entreprise"
    )
    return OrganisationRegistered(
        organisation_id=org, account_id=account, name=org, profile=headcount_profile, registered_at=T0
    )


def scored(
    org: str,
    level: int | dict[str, int],
    *,
    account: str = "acc_1",
    sector: str = "commerce",
    size_band: str = "PME",
    region: str = "bretagne",
    version: str = "2.0.0",
    scope: str = "full",
    assurance: str = "self_assessed",
    days: int = 0,
) -> DiagnosticScored:
    """Return the scored event of a diagnostic (every applicable indicator at `level`, or given levels)."""
    model = shipped_edition(version)
    if isinstance(level, int):
        codes = [p.indicator.code for p in model.places()]
        if scope != "full":
            found = model.profile(scope)
            assert found is not None
            codes = list(found.indicators)
        levels = dict.fromkeys(codes, level)
    else:
        levels = level
    card = score(model, DiagnosticInput(sector, scope, levels))
    when = T0 + timedelta(days=days)
    return DiagnosticScored(
        diagnostic_id="dg_" + uuid.uuid4().hex[:12],
        organisation_id=org,
        account_id=account,
        profile=OrganisationProfile(
            sector=sector, size_band=size_band, region=region, organisation_type="entreprise"
        ),
        model_id="dimm",
        model_version=version,
        scope=scope,
        overall=card.overall.score,
        levers={s.code: s.score for s in card.levers},
        groupements={s.code: s.score for s in card.groupements},
        indicators=[
            IndicatorScore(
                code=i.code,
                lever=i.lever,
                groupement=i.groupement,
                level=i.level,
                not_applicable=i.not_applicable,
                target=i.target,
                gap=i.gap,
            )
            for i in card.indicators
        ],
        percent_to_target=card.percent_to_target,
        submitted_at=when,
        scored_at=when + timedelta(seconds=1),
        assurance=assurance,  # type: ignore[arg-type]
    )
