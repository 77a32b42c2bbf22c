"""A diagnostic withdrawn after submission leaves the scorecards, the history and the progress."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.scoring.adapters.memory import MemoryScoringUnitOfWork
from services.scoring.service_layer import scorecards
from services.scoring.service_layer.scoring import score_submission, withdraw_scorecard
from shared.auth import SCOPES, Principal
from shared.errors import NotFound
from shared.events.contracts.assessment import DiagnosticSubmitted, DiagnosticWithdrawn, OrganisationProfile
from shared.model.editions import SME_PROFILE, shipped_edition

pytestmark = pytest.mark.asyncio

OWNER = Principal("acc_1", frozenset(SCOPES), "premium", "tok")
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PROFILE = OrganisationProfile(
    sector="commerce", size_band="PME", region="bretagne", organisation_type="entreprise"
)


def _submitted(level: int, *, days_ago: int) -> DiagnosticSubmitted:
    return DiagnosticSubmitted(
        diagnostic_id="dg_" + uuid.uuid4().hex[:8],
        organisation_id="org_1",
        account_id="acc_1",
        profile=PROFILE,
        model_id="dimm",
        model_version="2.0.0",
        scope="pme-10-priorites",
        levels=dict.fromkeys(SME_PROFILE, level),
        not_applicable=[],
        divergences=[],
        submitted_at=NOW - timedelta(days=days_ago),
    )


def _withdrawn(event: DiagnosticSubmitted) -> DiagnosticWithdrawn:
    return DiagnosticWithdrawn(
        diagnostic_id=event.diagnostic_id,
        organisation_id=event.organisation_id,
        account_id=event.account_id,
        withdrawn_at=NOW,
    )


async def _with_model() -> MemoryScoringUnitOfWork:
    uow = MemoryScoringUnitOfWork()
    await uow.model_versions.keep(shipped_edition("2.0.0"))
    return uow


class TestWithdrawnScorecards:
    async def test_a_withdrawn_diagnostic_has_no_scorecard_and_leaves_the_history(self) -> None:
        uow = await _with_model()
        kept, withdrawn = _submitted(1, days_ago=365), _submitted(3, days_ago=1)
        for event in (kept, withdrawn):
            await score_submission(event, uow)
        await withdraw_scorecard(_withdrawn(withdrawn), uow)
        with pytest.raises(NotFound):
            await scorecards.scorecard(OWNER, withdrawn.diagnostic_id, uow=uow)
        records, progress = await scorecards.history(OWNER, "org_1", uow=uow)
        assert [r.diagnostic_id for r in records] == [kept.diagnostic_id]
        assert progress is None

    async def test_progress_is_measured_from_the_diagnostic_before_the_withdrawn_one(self) -> None:
        uow = await _with_model()
        first, withdrawn, latest = (
            _submitted(1, days_ago=300),
            _submitted(4, days_ago=200),
            _submitted(2, days_ago=1),
        )
        for event in (first, withdrawn, latest):
            await score_submission(event, uow)
        await withdraw_scorecard(_withdrawn(withdrawn), uow)
        view = await scorecards.scorecard(OWNER, latest.diagnostic_id, uow=uow)
        assert view.progress is not None
        assert view.progress.previous_diagnostic_id == first.diagnostic_id

    async def test_a_second_delivery_changes_nothing(self) -> None:
        uow = await _with_model()
        kept, withdrawn = _submitted(1, days_ago=365), _submitted(3, days_ago=1)
        for event in (kept, withdrawn):
            await score_submission(event, uow)
        for _ in range(2):
            await withdraw_scorecard(_withdrawn(withdrawn), uow)
        assert list(uow.scorecards.items) == [kept.diagnostic_id]

    async def test_a_submission_scored_after_its_withdrawal_is_not_scored_nor_announced(self) -> None:
        # Parked waiting for its model version, the submission may be retried after the withdrawal.
        uow = await _with_model()
        late = _submitted(3, days_ago=1)
        await withdraw_scorecard(_withdrawn(late), uow)
        async with uow:
            await score_submission(late, uow)
            await uow.commit()
        assert (uow.scorecards.items, uow.published) == ({}, [])
