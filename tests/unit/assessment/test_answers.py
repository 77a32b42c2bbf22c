"""Answers, one or many at once, on the fakes: one conditional write, all or none, each refusal named."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.assessment.adapters.memory import MemoryAssessmentUnitOfWork
from services.assessment.domain.answers import Given, Questionnaire
from services.assessment.service_layer import answers, diagnostics, organisations
from services.assessment.service_layer.answers import QuestionnaireCache
from services.assessment.service_layer.catalogue import ModelCache
from shared.auth import Principal
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from shared.model.editions import SME_PROFILE, shipped_edition
from tests.unit.assessment.given import ISSUER, ORGANISATION, OWNER, as_respondent


async def _draft(uow: MemoryAssessmentUnitOfWork, models: ModelCache) -> tuple[str, str]:
    """Open a quick diagnostic with one respondent; return its id and the respondent's."""
    org = await organisations.register("acc_1", dict(ORGANISATION), sectors={"commerce"}, uow=uow)
    diagnostic = await diagnostics.open_diagnostic(
        OWNER,
        org.organisation_id,
        model_id="dimm",
        version="latest",
        scope="pme-10-priorites",
        uow=uow,
        models=models,
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
    return diagnostic.diagnostic_id, respondent.respondent_id


def _levels(level: int) -> list[tuple[str, Given]]:
    return [(code, Given(level=level, comment=f"{code} à {level}")) for code in SME_PROFILE]


@pytest.mark.asyncio
class TestManyAnswersAtOnce:
    async def test_every_answer_is_stored_in_one_write(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        stored = await answers.put_answers(
            as_respondent(respondent, diagnostic_id),
            diagnostic_id,
            respondent,
            _levels(3),
            uow=uow,
            models=models,
        )
        assert [a.answer.indicator for a in stored] == list(SME_PROFILE)
        assert uow.answers.writes == 1
        kept = await uow.answers.of(diagnostic_id)
        assert {(a.answer.indicator, a.answer.level, a.answer.comment) for a in kept} == {
            (code, 3, f"{code} à 3") for code in SME_PROFILE
        }

    async def test_sent_again_they_replace_the_same_answers(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        await answers.put_answers(OWNER, diagnostic_id, respondent, _levels(1), uow=uow, models=models)
        await answers.put_answers(OWNER, diagnostic_id, respondent, _levels(4), uow=uow, models=models)
        kept = await uow.answers.of(diagnostic_id)
        assert len(kept) == len(SME_PROFILE)
        assert {a.answer.level for a in kept} == {4}

    async def test_the_submission_takes_them(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        await answers.put_answers(OWNER, diagnostic_id, respondent, _levels(2), uow=uow, models=models)
        submitted = await diagnostics.submit(OWNER, diagnostic_id, uow=uow)
        assert submitted.status == "submitted"

    async def test_one_refused_answer_refuses_all_and_each_refusal_is_named_by_its_position(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        first, second, third, *_ = SME_PROFILE
        sent = [
            (first, Given(level=2)),
            ("ZZ9", Given(level=2)),
            (second, Given(level=2, not_applicable=True)),
            (first, Given(level=3)),
            (third, Given(criteria_met=("nope",))),
        ]
        with pytest.raises(InvalidInput) as refused:
            await answers.put_answers(OWNER, diagnostic_id, respondent, sent, uow=uow, models=models)
        assert [e["path"] for e in refused.value.errors] == [
            "answers[1].indicator",
            "answers[2]",
            "answers[3].indicator",
            "answers[4].criteria_met",
        ]
        assert await uow.answers.of(diagnostic_id) == []
        assert uow.answers.writes == 0

    async def test_a_submitted_diagnostic_refuses_them_and_keeps_its_answers(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        await answers.put_answers(OWNER, diagnostic_id, respondent, _levels(2), uow=uow, models=models)
        await diagnostics.submit(OWNER, diagnostic_id, uow=uow)
        with pytest.raises(Conflict):
            await answers.put_answers(OWNER, diagnostic_id, respondent, _levels(5), uow=uow, models=models)
        assert {a.answer.level for a in await uow.answers.of(diagnostic_id)} == {2}

    async def test_a_revoked_respondent_s_token_is_refused(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        cache = QuestionnaireCache()
        principal = as_respondent(respondent, diagnostic_id)
        await answers.put_answers(
            principal, diagnostic_id, respondent, _levels(1), uow=uow, models=models, questionnaires=cache
        )
        await diagnostics.revoke_respondent(OWNER, diagnostic_id, respondent, uow=uow)
        with pytest.raises(Unauthorized):
            await answers.put_answers(
                principal, diagnostic_id, respondent, _levels(2), uow=uow, models=models, questionnaires=cache
            )
        with pytest.raises(NotFound):
            await answers.put_answers(
                OWNER, diagnostic_id, respondent, _levels(2), uow=uow, models=models, questionnaires=cache
            )
        assert {a.answer.level for a in await uow.answers.of(diagnostic_id)} == {1}

    async def test_a_respondent_gives_only_their_own_answers(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        with pytest.raises(Forbidden):
            await answers.put_answers(
                as_respondent(respondent, diagnostic_id),
                diagnostic_id,
                "rsp_other",
                _levels(1),
                uow=uow,
                models=models,
            )
        assert uow.answers.writes == 0

    async def test_another_account_does_not_see_the_diagnostic_even_once_kept_in_memory(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        cache = QuestionnaireCache()
        await answers.put_answers(
            OWNER, diagnostic_id, respondent, _levels(1), uow=uow, models=models, questionnaires=cache
        )
        stranger = Principal("acc_2", OWNER.scopes, "premium", "tok2")
        with pytest.raises(NotFound):
            await answers.put_answers(
                stranger, diagnostic_id, respondent, _levels(2), uow=uow, models=models, questionnaires=cache
            )
        assert uow.answers.writes == 1

    async def test_an_erased_diagnostic_is_forgotten_from_memory(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        cache = QuestionnaireCache()
        await answers.put_answers(
            OWNER, diagnostic_id, respondent, _levels(1), uow=uow, models=models, questionnaires=cache
        )
        await organisations.erase("acc_1", uow.diagnostics.items[diagnostic_id].organisation_id, uow=uow)
        with pytest.raises(NotFound):
            await answers.put_answers(
                OWNER, diagnostic_id, respondent, _levels(2), uow=uow, models=models, questionnaires=cache
            )
        assert cache.get(diagnostic_id) is None


@pytest.mark.asyncio
class TestOneAnswer:
    async def test_it_is_one_write_and_an_indicator_outside_the_scope_is_not_found(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        await answers.put_answer(
            OWNER, diagnostic_id, respondent, SME_PROFILE[0], Given(level=4), uow=uow, models=models
        )
        assert uow.answers.writes == 1
        outside = next(
            p.indicator.code for p in shipped_edition("2.0.0").places() if p.indicator.code not in SME_PROFILE
        )
        with pytest.raises(NotFound):
            await answers.put_answer(
                OWNER, diagnostic_id, respondent, outside, Given(level=4), uow=uow, models=models
            )
        assert uow.answers.writes == 1


def _questionnaire(diagnostic_id: str) -> Questionnaire:
    return Questionnaire(diagnostic_id, "acc_1", "dimm", "2.0.0", frozenset({"SP1", "SP2"}))


class TestQuestionnaireCache:
    def test_the_least_recently_used_goes_first(self) -> None:
        cache = QuestionnaireCache(capacity=2)
        for diagnostic_id in ("dg_1", "dg_2"):
            cache.put(_questionnaire(diagnostic_id))
        assert cache.get("dg_1") is not None
        cache.put(_questionnaire("dg_3"))
        assert cache.get("dg_2") is None
        assert cache.get("dg_1") is not None
        assert cache.get("dg_3") is not None

    def test_diagnostics_of_the_same_scope_share_one_set_of_codes(self) -> None:
        cache = QuestionnaireCache()
        cache.put(_questionnaire("dg_1"))
        cache.put(_questionnaire("dg_2"))
        first, second = cache.get("dg_1"), cache.get("dg_2")
        assert first is not None
        assert second is not None
        assert first.codes is second.codes
