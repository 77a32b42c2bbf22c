"""Access-control gaps a hostile client found (issue 12), closed on the real stack."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from shared.model.editions import SME_PROFILE
from tests.integration.conftest import (
    ORGANISATION,
    V1,
    Tenant,
    new_tenant,
    scorecard_of,
    submitted_diagnostic,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

BERNARD = {"name": "Bernard Secret", "role": "DSI"}
BERNARD_SAYS = {
    "level": 1,
    "comment": "commentaire confidentiel de Bernard",
    "evidence": [{"kind": "url", "value": "https://intranet.example/bernard"}],
}


async def _draft_with_two_respondents(tenant: Tenant) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Open a quick diagnostic where Alice and Bernard both answered SP1; return it and both invitations."""
    org = (await tenant.call("POST", f"{V1}/organisations", json=ORGANISATION)).json()["organisation_id"]
    diag = (
        await tenant.call("POST", f"{V1}/organisations/{org}/diagnostics", json={"scope": "pme-10-priorites"})
    ).json()["diagnostic_id"]
    invitations = []
    for person, says in (
        ({"name": "Alice Durand", "role": "direction"}, {"level": 3, "comment": "avis d'Alice"}),
        (BERNARD, BERNARD_SAYS),
    ):
        invited = (await tenant.call("POST", f"{V1}/diagnostics/{diag}/respondents", json=person)).json()
        rid = invited["respondent"]["respondent_id"]
        url = f"{V1}/diagnostics/{diag}/respondents/{rid}/answers/SP1"
        assert (await tenant.call("PUT", url, json=says)).status_code == 200
        invitations.append(invited)
    return diag, invitations[0], invitations[1]


def _bearer(invitation: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {invitation['token']}"}


class TestRespondentExports:
    async def test_a_respondent_exports_only_their_own_answers(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag, alice, bernard = await _draft_with_two_respondents(tenant)
        as_alice = _bearer(alice)
        exported = await http.get(f"{V1}/diagnostics/{diag}/export.json", headers=as_alice)
        assert exported.status_code == 200, exported.text
        alice_id = alice["respondent"]["respondent_id"]
        assert [a["respondent_id"] for a in exported.json()["answers"]] == [alice_id]
        as_csv = await http.get(f"{V1}/diagnostics/{diag}/export.csv", headers=as_alice)
        for text in (exported.text, as_csv.text):
            assert bernard["respondent"]["respondent_id"] not in text
            assert BERNARD["name"] not in text
            assert BERNARD_SAYS["comment"] not in text
            assert "intranet.example" not in text

    async def test_the_owners_export_still_has_every_answer(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag, _, _ = await _draft_with_two_respondents(tenant)
        exported = (await tenant.call("GET", f"{V1}/diagnostics/{diag}/export.json")).json()
        assert len(exported["answers"]) == 2
        as_csv = (await tenant.call("GET", f"{V1}/diagnostics/{diag}/export.csv")).text
        assert BERNARD["name"] in as_csv
        assert BERNARD_SAYS["comment"] in as_csv


class TestKeyDelegation:
    async def test_a_key_manager_cannot_mint_a_key_with_scopes_it_lacks(
        self, http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http, scopes=["keys:manage"])
        response = await tenant.call(
            "POST", f"{V1}/api-keys", json={"name": "escalate", "scopes": ["organisations:write"]}
        )
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "organisations:write" in response.json()["detail"]
        keys = (await tenant.call("GET", f"{V1}/api-keys")).json()["keys"]
        assert [k["client_id"] for k in keys] == [tenant.client_id]

    async def test_a_key_made_without_scopes_gets_only_the_creators(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http, scopes=["keys:manage", "diagnostics:read"])
        response = await tenant.call("POST", f"{V1}/api-keys", json={"name": "default"})
        assert response.status_code == 201, response.text
        assert response.json()["scopes"] == ["diagnostics:read", "keys:manage"]

    async def test_a_full_key_still_delegates_a_narrower_one(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        response = await tenant.call(
            "POST", f"{V1}/api-keys", json={"name": "reader", "scopes": ["diagnostics:read"]}
        )
        assert response.status_code == 201, response.text


class TestStrictLevels:
    @pytest.mark.parametrize("level", ["3", 3.0, True])
    async def test_a_level_that_is_not_an_integer_is_a_422_and_the_answer_stays(
        self, http: httpx.AsyncClient, level: object
    ) -> None:
        tenant = await new_tenant(http)
        diag, alice, _ = await _draft_with_two_respondents(tenant)
        rid = alice["respondent"]["respondent_id"]
        url = f"{V1}/diagnostics/{diag}/respondents/{rid}/answers/SP1"
        response = await tenant.call("PUT", url, json={"level": level})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        validated = await tenant.call(
            "PUT", f"{V1}/diagnostics/{diag}/validations/SP1", json={"level": level}
        )
        assert validated.status_code == 422, validated.text
        answers = (await tenant.call("GET", f"{V1}/diagnostics/{diag}/answers")).json()["answers"]
        assert {a["respondent_id"]: a["level"] for a in answers}[rid] == 3
        view = (await tenant.call("GET", f"{V1}/diagnostics/{diag}")).json()
        assert next(i for i in view["indicators"] if i["code"] == "SP1")["source"] != "validated"


S1 = "/scoring/v1"


async def _eventually(check: Callable[[], Awaitable[bool]], *, seconds: float = 20) -> None:
    """Wait until a check holds, as an event crosses the bus (`seconds` at most)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not within the time allowed"
        await asyncio.sleep(0.1)


async def _submitted_with_respondent(tenant: Tenant) -> tuple[str, dict[str, Any]]:
    """Submit a quick diagnostic answered by an invited respondent; return it and the invitation."""
    org = (await tenant.call("POST", f"{V1}/organisations", json=ORGANISATION)).json()["organisation_id"]
    diag = (
        await tenant.call("POST", f"{V1}/organisations/{org}/diagnostics", json={"scope": "pme-10-priorites"})
    ).json()["diagnostic_id"]
    invitation = (
        await tenant.call(
            "POST", f"{V1}/diagnostics/{diag}/respondents", json={"name": "Claire", "role": "RH"}
        )
    ).json()
    rid = invitation["respondent"]["respondent_id"]
    for code in SME_PROFILE:
        url = f"{V1}/diagnostics/{diag}/respondents/{rid}/answers/{code}"
        assert (await tenant.http.put(url, json={"level": 2}, headers=_bearer(invitation))).status_code == 200
    assert (await tenant.call("POST", f"{V1}/diagnostics/{diag}/submit")).status_code == 200
    return diag, invitation


class TestRevokedRespondentOnScoring:
    async def test_a_revoked_respondents_token_is_refused_by_scoring_too(
        self, http: httpx.AsyncClient, scoring_http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http)
        diag, invitation = await _submitted_with_respondent(tenant)
        await scorecard_of(scoring_http, tenant, diag)
        as_respondent = _bearer(invitation)
        reads = (f"{S1}/diagnostics/{diag}/scorecard", f"{S1}/diagnostics/{diag}/report")
        for url in reads:
            assert (await scoring_http.get(url, headers=as_respondent)).status_code == 200
        rid = invitation["respondent"]["respondent_id"]
        revoked = await tenant.call("DELETE", f"{V1}/diagnostics/{diag}/respondents/{rid}")
        assert revoked.status_code == 204, revoked.text

        async def refused() -> bool:
            response = await scoring_http.get(reads[0], headers=as_respondent)
            return response.status_code == 401

        await _eventually(refused)
        for url in reads:
            response = await scoring_http.get(url, headers=as_respondent)
            assert response.status_code == 401
            assert response.headers["content-type"] == "application/problem+json"
        report = await scoring_http.get(reads[1], params={"access_token": invitation["token"]})
        assert report.status_code == 401
        assert (await scoring_http.get(reads[0], headers=tenant.headers)).status_code == 200


class TestWithdrawnAfterSubmission:
    async def test_the_scorecard_leaves_reads_history_and_progress(
        self, http: httpx.AsyncClient, scoring_http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http)
        levels = dict.fromkeys(SME_PROFILE, 1)
        org, first = await submitted_diagnostic(tenant, levels, assessed_on="2025-01-15")
        await scorecard_of(scoring_http, tenant, first)
        withdrawn = await _resubmitted(tenant, org, dict.fromkeys(SME_PROFILE, 4), assessed_on="2025-06-15")
        assert (await tenant.call("POST", f"{V1}/diagnostics/{withdrawn}/withdraw")).status_code == 200
        # Same organisation, same partition: once this one is scored, the withdrawal was consumed.
        latest = await _resubmitted(tenant, org, dict.fromkeys(SME_PROFILE, 2))
        card = await scorecard_of(scoring_http, tenant, latest)
        assert card["progress"]["previous_diagnostic_id"] == first
        gone = await scoring_http.get(f"{S1}/diagnostics/{withdrawn}/scorecard", headers=tenant.headers)
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"
        for suffix in ("export.json", "export.csv", "report"):
            url = f"{S1}/diagnostics/{withdrawn}/{suffix}"
            assert (await scoring_http.get(url, headers=tenant.headers)).status_code == 404
        history = (await scoring_http.get(f"{S1}/organisations/{org}/history", headers=tenant.headers)).json()
        assert [p["diagnostic_id"] for p in history["points"]] == [first, latest]
        assert history["progress"]["previous_diagnostic_id"] == first


async def _resubmitted(
    tenant: Tenant, org: str, levels: dict[str, int], *, assessed_on: str | None = None
) -> str:
    """Submit another quick diagnostic of the same organisation."""
    _, diag = await submitted_diagnostic(tenant, levels, assessed_on=assessed_on, organisation_id=org)
    return diag
