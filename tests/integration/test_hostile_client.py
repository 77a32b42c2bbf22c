"""Access-control gaps a hostile client found (issue 12), closed on the real stack."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.conftest import ORGANISATION, V1, Tenant, new_tenant

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
