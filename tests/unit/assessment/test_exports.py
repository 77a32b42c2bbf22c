"""Exports on the fakes: the owner gets every answer; a respondent gets only their own work."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from services.assessment.adapters.memory import MemoryAssessmentUnitOfWork
from services.assessment.domain.answers import Evidence, Given
from services.assessment.entrypoints.exports import export_csv, export_json
from services.assessment.service_layer import answers, diagnostics, organisations
from services.assessment.service_layer.catalogue import ModelCache
from tests.unit.assessment.given import ISSUER, ORGANISATION, OWNER, as_respondent

pytestmark = pytest.mark.asyncio

SECRET_OF_B = ("Bernard Secret", "commentaire confidentiel de Bernard", "https://intranet.example/bernard")


async def _two_respondents(uow: MemoryAssessmentUnitOfWork, models: ModelCache) -> tuple[str, str, str]:
    """Open a draft where Alice and Bernard both answered SP1, with comments and evidence."""
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
    ids = []
    for name, comment, url in (("Alice Durand", "avis d'Alice", "https://a.example/x"), SECRET_OF_B):
        respondent, _ = await diagnostics.invite(
            OWNER,
            diagnostic.diagnostic_id,
            name=name,
            role="direction",
            uow=uow,
            issuer=ISSUER,
            ttl=timedelta(days=1),
        )
        given = Given(level=2, comment=comment, evidence=(Evidence("url", url),))
        await answers.put_answer(
            OWNER, diagnostic.diagnostic_id, respondent.respondent_id, "SP1", given, uow=uow, models=models
        )
        ids.append(respondent.respondent_id)
    return diagnostic.diagnostic_id, ids[0], ids[1]


class TestRespondentExports:
    async def test_a_respondents_json_export_holds_only_their_own_answers_and_name(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, alice, bernard = await _two_respondents(uow, models)
        exported = export_json(
            *await diagnostics.export_of(as_respondent(alice, diagnostic_id), diagnostic_id, uow=uow)
        )
        assert [a["respondent_id"] for a in exported["answers"]] == [alice]
        assert [r["respondent_id"] for r in exported["diagnostic"]["respondents"]] == [alice]
        text = json.dumps(exported)
        assert bernard not in text
        assert not [secret for secret in SECRET_OF_B if secret in text]

    async def test_a_respondents_csv_export_holds_only_their_own_rows(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, alice, bernard = await _two_respondents(uow, models)
        text = export_csv(
            *await diagnostics.export_of(as_respondent(alice, diagnostic_id), diagnostic_id, uow=uow)
        )
        assert alice in text
        assert bernard not in text
        assert not [secret for secret in SECRET_OF_B if secret in text]

    async def test_the_owners_export_is_unchanged(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, alice, bernard = await _two_respondents(uow, models)
        record, answers = await diagnostics.with_answers(OWNER, diagnostic_id, uow=uow)
        exported = export_json(*await diagnostics.export_of(OWNER, diagnostic_id, uow=uow))
        assert exported == export_json(record, answers)
        assert {a["respondent_id"] for a in exported["answers"]} == {alice, bernard}
        assert all(secret in json.dumps(exported) for secret in SECRET_OF_B)
