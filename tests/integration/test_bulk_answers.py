"""Many answers in one request on the real stack: all stored by one write, or none, each refusal named."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.assessment.adapters.diagnostics import MongoAnswerRepository
from services.assessment.domain.answers import Answer, Evidence, StoredAnswer
from shared.errors import PROBLEM_MEDIA_TYPE, InvalidInput
from shared.model.editions import SME_PROFILE
from shared.mongo import utc_now
from tests.integration.conftest import ORGANISATION, Tenant, new_tenant

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
V1 = "/assessment/v1"


async def _draft(tenant: Tenant) -> tuple[str, str, dict[str, str]]:
    """Open a quick diagnostic with one respondent; return it, the respondent and their token's headers."""
    org = (await tenant.call("POST", f"{V1}/organisations", json=ORGANISATION)).json()["organisation_id"]
    diag = (
        await tenant.call("POST", f"{V1}/organisations/{org}/diagnostics", json={"scope": "pme-10-priorites"})
    ).json()["diagnostic_id"]
    invited = (
        await tenant.call(
            "POST", f"{V1}/diagnostics/{diag}/respondents", json={"name": "Claire", "role": "DG"}
        )
    ).json()
    return diag, invited["respondent"]["respondent_id"], {"Authorization": f"Bearer {invited['token']}"}


def _all(level: int) -> list[dict[str, Any]]:
    return [{"indicator": code, "level": level, "comment": f"{code} noté {level}"} for code in SME_PROFILE]


async def _patch(http: httpx.AsyncClient, headers: dict[str, str], diag: str, body: Any) -> httpx.Response:
    return await http.patch(f"{V1}/diagnostics/{diag}/answers", json=body, headers=headers)


async def _stored(tenant: Tenant, diag: str) -> list[dict[str, Any]]:
    return list((await tenant.call("GET", f"{V1}/diagnostics/{diag}/answers")).json()["answers"])


class TestManyAnswers:
    async def test_a_respondent_sends_every_answer_at_once_then_the_owner_submits(
        self, http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http)
        diag, respondent, auth = await _draft(tenant)
        saved = await _patch(http, auth, diag, {"answers": _all(3)})
        assert saved.status_code == 200, saved.text
        assert [a["indicator"] for a in saved.json()["answers"]] == list(SME_PROFILE)
        stored = await _stored(tenant, diag)
        assert {(a["respondent_id"], a["level"]) for a in stored} == {(respondent, 3)}
        assert len(stored) == len(SME_PROFILE)
        submitted = await tenant.call("POST", f"{V1}/diagnostics/{diag}/submit")
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["completeness"]["ratio"] == 1.0

    async def test_sent_twice_it_changes_nothing_more(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag, respondent, _ = await _draft(tenant)
        for _ in range(2):
            saved = await _patch(
                http, tenant.headers, diag, {"respondent_id": respondent, "answers": _all(2)}
            )
            assert saved.status_code == 200, saved.text
        assert len(await _stored(tenant, diag)) == len(SME_PROFILE)

    async def test_every_refused_answer_is_named_and_nothing_is_stored(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag, _, auth = await _draft(tenant)
        answers = _all(2)
        answers[1] = {"indicator": "ZZ9", "level": 2}
        answers[2] = {"indicator": SME_PROFILE[2], "criteria_met": ["nope"]}
        answers[3] = {"indicator": SME_PROFILE[0], "level": 1}
        refused = await _patch(http, auth, diag, {"answers": answers})
        assert refused.status_code == 422
        assert refused.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert [e["path"] for e in refused.json()["errors"]] == [
            "answers[1].indicator",
            "answers[2].criteria_met",
            "answers[3].indicator",
        ]
        assert await _stored(tenant, diag) == []

    async def test_the_schema_s_refusals_name_their_position_too(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag, _, auth = await _draft(tenant)
        answers = _all(2)
        answers[4]["level"] = "3"
        refused = await _patch(http, auth, diag, {"answers": answers})
        assert refused.status_code == 422
        assert [e["path"] for e in refused.json()["errors"]] == ["answers[4].level"]
        assert (await _patch(http, auth, diag, {"answers": []})).status_code == 422
        assert await _stored(tenant, diag) == []

    async def test_the_owner_names_the_respondent(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag, _, _ = await _draft(tenant)
        refused = await _patch(http, tenant.headers, diag, {"answers": _all(1)})
        assert refused.status_code == 422
        assert [e["path"] for e in refused.json()["errors"]] == ["respondent_id"]
        unknown = await _patch(
            http, tenant.headers, diag, {"respondent_id": "rsp_nobody", "answers": _all(1)}
        )
        assert unknown.status_code == 404

    async def test_a_submitted_diagnostic_keeps_its_answers(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag, _, auth = await _draft(tenant)
        assert (await _patch(http, auth, diag, {"answers": _all(2)})).status_code == 200
        assert (await tenant.call("POST", f"{V1}/diagnostics/{diag}/submit")).status_code == 200
        assert (await _patch(http, auth, diag, {"answers": _all(5)})).status_code == 409
        assert {a["level"] for a in await _stored(tenant, diag)} == {2}

    async def test_a_revoked_respondent_is_refused(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag, respondent, auth = await _draft(tenant)
        assert (await _patch(http, auth, diag, {"answers": _all(1)[:3]})).status_code == 200
        revoked = await tenant.call("DELETE", f"{V1}/diagnostics/{diag}/respondents/{respondent}")
        assert revoked.status_code == 204
        assert (await _patch(http, auth, diag, {"answers": _all(4)})).status_code == 401
        owner = await _patch(http, tenant.headers, diag, {"respondent_id": respondent, "answers": _all(4)})
        assert owner.status_code == 404
        assert {a["level"] for a in await _stored(tenant, diag)} == {1}

    async def test_another_account_sees_no_such_diagnostic(self, http: httpx.AsyncClient) -> None:
        tenant, stranger = await new_tenant(http), await new_tenant(http)
        diag, respondent, _ = await _draft(tenant)
        body = {"respondent_id": respondent, "answers": _all(1)}
        assert (await _patch(http, tenant.headers, diag, body)).status_code == 200
        assert (await _patch(http, stranger.headers, diag, body)).status_code == 404


class TestAnswersOfEarlierVersions:
    async def test_answers_kept_one_document_each_move_into_their_diagnostic(
        self, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        tenant = await new_tenant(http)
        diag, respondent, auth = await _draft(tenant)
        first, second = SME_PROFILE[0], SME_PROFILE[1]
        assert (
            await _patch(http, auth, diag, {"answers": [{"indicator": second, "level": 4}]})
        ).status_code == 200
        db = app.state.deps.runtime.db
        legacy = [
            {
                "_id": f"{diag}:{respondent}:{code}",
                "diagnostic_id": diag,
                "account_id": tenant.account_id,
                "respondent_id": respondent,
                "indicator": code,
                "level": 1,
                "not_applicable": False,
                "criteria_met": None,
                "comment": "gardée",
                "evidence": [{"kind": "note", "value": "compte rendu", "criterion_id": None}],
                "updated_at": utc_now(),
            }
            for code in (first, second)
        ]
        await db["answers"].insert_many(legacy)
        repository = MongoAnswerRepository(db, app.state.deps.runtime.unit_of_work())
        await repository.ensure_indexes()
        await repository.ensure_indexes()
        stored = {a["indicator"]: a for a in await _stored(tenant, diag)}
        assert (stored[first]["level"], stored[first]["comment"]) == (1, "gardée")
        assert stored[first]["evidence"][0]["value"] == "compte rendu"
        assert stored[second]["level"] == 4, "an answer given since is newer: it stays"
        assert await db["answers"].count_documents({}) == 0


class TestTooLargeForOneDocument:
    async def test_answers_that_would_pass_the_database_s_limit_are_a_422_and_nothing_changes(
        self, http: httpx.AsyncClient, app: FastAPI
    ) -> None:
        tenant = await new_tenant(http)
        diag, respondent, _ = await _draft(tenant)
        # The HTTP body limit (5 MiB) keeps one request far below it: write through the repository.
        huge = (Evidence("note", "x" * 6_000_000),)
        at = utc_now()
        stored = [
            StoredAnswer(diag, tenant.account_id, Answer(respondent, code, 1, False), huge, at)
            for code in SME_PROFILE[:3]
        ]
        repository = MongoAnswerRepository(app.state.deps.runtime.db, app.state.deps.runtime.unit_of_work())
        with pytest.raises(InvalidInput):
            await repository.record(
                diag, account_id=tenant.account_id, respondent_id=respondent, answers=stored, at=at
            )
        assert await _stored(tenant, diag) == []
