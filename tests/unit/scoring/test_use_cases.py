"""The scoring use cases on the in-memory fakes: scoring, waiting for a model, failure, reads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.scoring.adapters.memory import MemoryScoringUnitOfWork
from services.scoring.service_layer import scorecards
from services.scoring.service_layer.scoring import (
    forget_organisation,
    report_scoring_failure,
    score_submission,
)
from shared.auth import SCOPES, Principal
from shared.errors import InvalidInput, NotFound
from shared.events.contracts.assessment import (
    Assurance,
    DiagnosticSubmitted,
    OrganisationErased,
    OrganisationProfile,
)
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed
from shared.events.handling import WaitingFor, model_version
from shared.model.editions import SME_PROFILE, shipped_edition

pytestmark = pytest.mark.asyncio

PROFILE = OrganisationProfile(
    sector="commerce", size_band="PME", region="bretagne", organisation_type="entreprise"
)
OWNER = Principal("acc_1", frozenset(SCOPES), "premium", "tok")


def _submitted(
    *,
    levels: dict[str, int] | None = None,
    when: datetime | None = None,
    criteria: dict[str, list[str]] | None = None,
) -> DiagnosticSubmitted:
    return DiagnosticSubmitted(
        diagnostic_id="dg_" + uuid.uuid4().hex[:8],
        organisation_id="org_1",
        account_id="acc_1",
        profile=PROFILE,
        model_id="dimm",
        model_version="2.0.0",
        scope="pme-10-priorites",
        levels=levels or dict.fromkeys(SME_PROFILE, 1),
        not_applicable=[],
        divergences=[],
        submitted_at=when or datetime.now(UTC),
        criteria_met=criteria or {},
    )


async def _with_model() -> MemoryScoringUnitOfWork:
    uow = MemoryScoringUnitOfWork()
    await uow.model_versions.keep(shipped_edition("2.0.0"))
    return uow


class TestScoring:
    async def test_a_submission_is_scored_stored_and_announced_with_its_roadmap(self) -> None:
        uow = await _with_model()
        sp1 = shipped_edition("2.0.0").indicator("SP1")
        assert sp1 is not None
        met = [c.id for c in sp1.levels[0].criteria] + [sp1.levels[1].criteria[0].id]
        event = _submitted(criteria={"SP1": met})
        async with uow:
            await score_submission(event, uow)
            await uow.commit()
        assert event.diagnostic_id in uow.scorecards.items
        [scored] = uow.published
        assert isinstance(scored, DiagnosticScored)
        assert scored.overall == pytest.approx(1.0)
        step = next(s for s in scored.roadmap if s.code == "SP1")
        assert step.next_level == 2
        # The level-2 criterion already met is not asked for again.
        assert [c.id for c in step.criteria] == [c.id for c in sp1.levels[1].criteria[1:]]

    @pytest.mark.parametrize("assurance", ["self_assessed", "expert_validated"])
    async def test_the_assurance_is_stored_and_announced(self, assurance: Assurance) -> None:
        uow = await _with_model()
        event = _submitted().model_copy(update={"assurance": assurance})
        async with uow:
            await score_submission(event, uow)
            await uow.commit()
        [scored] = uow.published
        assert isinstance(scored, DiagnosticScored)
        assert scored.assurance == assurance
        view = await scorecards.scorecard(OWNER, event.diagnostic_id, uow=uow)
        assert view.record.assurance == assurance

    async def test_a_submission_whose_model_version_is_unknown_waits_and_writes_nothing(self) -> None:
        uow = MemoryScoringUnitOfWork()
        with pytest.raises(WaitingFor) as caught:
            await score_submission(_submitted(), uow)
        assert caught.value.dependency == model_version("dimm", "2.0.0")
        assert (uow.scorecards.items, uow.published) == ({}, [])

    async def test_giving_up_announces_the_failure(self) -> None:
        uow = MemoryScoringUnitOfWork()
        event = _submitted()
        async with uow:
            await report_scoring_failure(event, uow, "waited 900s for model:dimm@2.0.0")
            await uow.commit()
        [failed] = uow.published
        assert isinstance(failed, DiagnosticScoringFailed)
        assert failed.diagnostic_id == event.diagnostic_id

    async def test_an_erased_organisation_is_forgotten(self) -> None:
        uow = await _with_model()
        await score_submission(_submitted(), uow)
        await forget_organisation(
            OrganisationErased(organisation_id="org_1", account_id="acc_1", erased_at=datetime.now(UTC)), uow
        )
        assert uow.scorecards.items == {}


class TestReads:
    async def test_the_scorecard_shows_progress_since_the_previous_diagnostic(self) -> None:
        uow = await _with_model()
        earlier = _submitted(when=datetime.now(UTC) - timedelta(days=365))
        later = _submitted(levels=dict.fromkeys(SME_PROFILE, 3))
        for event in (earlier, later):
            await score_submission(event, uow)
        view = await scorecards.scorecard(OWNER, later.diagnostic_id, uow=uow)
        assert view.progress is not None
        assert view.progress.overall == pytest.approx(2.0)
        records, latest = await scorecards.history(OWNER, "org_1", uow=uow)
        assert [r.diagnostic_id for r in records] == [earlier.diagnostic_id, later.diagnostic_id]
        assert latest == view.progress

    async def test_a_simulation_stays_within_the_scope_and_stores_nothing(self) -> None:
        uow = await _with_model()
        event = _submitted()
        await score_submission(event, uow)
        simulated = await scorecards.simulate(OWNER, event.diagnostic_id, {"SP1": 5}, uow=uow)
        assert simulated.card.overall.score is not None
        assert simulated.card.overall.score > 1
        assert uow.scorecards.items[event.diagnostic_id].levels["SP1"] == 1
        with pytest.raises(InvalidInput):
            await scorecards.simulate(OWNER, event.diagnostic_id, {"TIO2": 5}, uow=uow)

    async def test_another_tenant_or_another_diagnostics_respondent_sees_nothing(self) -> None:
        uow = await _with_model()
        event = _submitted()
        await score_submission(event, uow)
        stranger = Principal("acc_2", frozenset(SCOPES), "free", "t")
        respondent = Principal(
            "acc_1", frozenset({"respondent"}), "free", "t", diagnostic_id="dg_x", respondent_id="r"
        )
        for who in (stranger, respondent):
            with pytest.raises(NotFound):
                await scorecards.scorecard(who, event.diagnostic_id, uow=uow)
