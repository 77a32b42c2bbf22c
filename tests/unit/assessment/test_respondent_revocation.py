"""Revoking a respondent is announced, so every service refuses their token; assessment refuses it too."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.assessment.adapters.memory import MemoryAssessmentUnitOfWork
from services.assessment.service_layer import diagnostics, organisations
from services.assessment.service_layer.catalogue import ModelCache
from shared.errors import NotFound
from shared.events.contracts.assessment import RespondentRevoked
from tests.unit.assessment.given import ISSUER, ORGANISATION, OWNER, as_respondent

pytestmark = pytest.mark.asyncio


async def _invited(uow: MemoryAssessmentUnitOfWork, models: ModelCache) -> tuple[str, str, str]:
    org = await organisations.register("acc_1", dict(ORGANISATION), sectors={"commerce"}, uow=uow)
    diagnostic = await diagnostics.open_diagnostic(
        OWNER, org.organisation_id, model_id="dimm", version="latest", scope="full", uow=uow, models=models
    )
    respondent, _ = await diagnostics.invite(
        OWNER,
        diagnostic.diagnostic_id,
        name="Claire",
        role="direction",
        uow=uow,
        issuer=ISSUER,
        ttl=timedelta(days=1),
    )
    return org.organisation_id, diagnostic.diagnostic_id, respondent.respondent_id


class TestRespondentRevocation:
    async def test_a_revocation_is_announced_with_the_tokens_respondent(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        org, diagnostic_id, respondent = await _invited(uow, models)
        await diagnostics.revoke_respondent(OWNER, diagnostic_id, respondent, uow=uow)
        event = uow.published[-1]
        assert isinstance(event, RespondentRevoked)
        assert (event.respondent_id, event.diagnostic_id, event.organisation_id, event.account_id) == (
            respondent,
            diagnostic_id,
            org,
            "acc_1",
        )

    async def test_a_second_revocation_is_refused_and_announces_nothing(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        _, diagnostic_id, respondent = await _invited(uow, models)
        await diagnostics.revoke_respondent(OWNER, diagnostic_id, respondent, uow=uow)
        before = list(uow.published)
        with pytest.raises(NotFound):
            await diagnostics.revoke_respondent(OWNER, diagnostic_id, respondent, uow=uow)
        assert uow.published == before

    async def test_assessment_tells_a_revoked_respondent_from_an_active_one(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        _, diagnostic_id, respondent = await _invited(uow, models)
        assert not await diagnostics.respondent_is_revoked(as_respondent(respondent, diagnostic_id), uow=uow)
        await diagnostics.revoke_respondent(OWNER, diagnostic_id, respondent, uow=uow)
        assert await diagnostics.respondent_is_revoked(as_respondent(respondent, diagnostic_id), uow=uow)
        assert not await diagnostics.respondent_is_revoked(OWNER, uow=uow)
