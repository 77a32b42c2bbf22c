"""Accounts, API keys, tokens, scopes and tenant isolation on the real stack."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI

from shared.auth import Principal
from tests.integration.conftest import AUTH, ORGANISATION, Tenant, new_tenant

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


async def _token(http: httpx.AsyncClient, client_id: str, secret: str, **extra: str) -> httpx.Response:
    data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, **extra}
    return await http.post("/assessment/v1/oauth/token", data=data)


class TestTokens:
    async def test_client_credentials_give_a_bearer_token_verifiable_with_the_jwks(
        self, http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http, plan="premium")
        keys = (await http.get("/assessment/.well-known/jwks.json")).json()["keys"]
        [jwk] = keys
        public_key = jwt.PyJWK(jwk).key
        claims = jwt.decode(
            tenant.headers["Authorization"][7:], public_key, algorithms=["EdDSA"], audience="dimm-api"
        )
        assert claims["sub"] == tenant.account_id
        assert claims["plan"] == "premium"
        assert "organisations:write" in claims["scope"].split()

    async def test_a_wrong_secret_is_a_401(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        response = await _token(http, tenant.client_id, "dimm_sk_wrong")
        assert response.status_code == 401
        # RFC 6749 §5.2 on the token endpoint (problem bodies everywhere else).
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic")
        assert response.headers["cache-control"] == "no-store"

    async def test_an_unknown_client_is_a_401(self, http: httpx.AsyncClient) -> None:
        assert (await _token(http, "dimm_ck_nobody", "x")).status_code == 401

    async def test_an_unsupported_grant_is_a_400_unsupported_grant_type(
        self, http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http)
        response = await _token(http, tenant.client_id, tenant.client_secret, grant_type="password")
        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_grant_type"

    async def test_a_token_can_be_narrowed_to_some_scopes(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        response = await _token(http, tenant.client_id, tenant.client_secret, scope="organisations:read")
        assert response.json()["scope"] == "organisations:read"
        narrow = {"Authorization": f"Bearer {response.json()['access_token']}"}
        created = await http.post("/assessment/v1/organisations", json=ORGANISATION, headers=narrow)
        assert created.status_code == 403

    async def test_a_scope_the_key_lacks_cannot_be_asked_for(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http, scopes=["organisations:read"])
        response = await _token(http, tenant.client_id, tenant.client_secret, scope="organisations:write")
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"

    async def test_an_expired_token_is_a_401(self, http: httpx.AsyncClient, app: FastAPI) -> None:
        tenant = await new_tenant(http)
        principal = Principal(
            tenant.account_id,
            frozenset({"organisations:read"}),
            "free",
            uuid.uuid4().hex,
            client_id=tenant.client_id,
        )
        expired = app.state.deps.issuer.issue(principal, ttl=timedelta(seconds=-5))
        response = await http.get(
            "/assessment/v1/organisations", headers={"Authorization": f"Bearer {expired}"}
        )
        assert response.status_code == 401
        assert "expired" in response.json()["detail"]

    async def test_a_forged_token_is_a_401(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        forged = tenant.headers["Authorization"][:-4] + "AAAA"
        assert (
            await http.get("/assessment/v1/organisations", headers={"Authorization": forged})
        ).status_code == 401

    async def test_no_token_is_a_401(self, http: httpx.AsyncClient) -> None:
        assert (await http.get("/assessment/v1/organisations")).status_code == 401


class TestApiKeys:
    async def test_an_account_lists_creates_and_revokes_its_keys(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        created = await tenant.call("POST", "/assessment/v1/api-keys", json={"name": "second"})
        assert created.status_code == 201
        second = created.json()
        assert second["client_secret"].startswith("dimm_sk_")
        listed = (await tenant.call("GET", "/assessment/v1/api-keys")).json()["keys"]
        assert {k["client_id"] for k in listed} == {tenant.client_id, second["client_id"]}
        assert all("client_secret" not in k for k in listed)

        token = (await _token(http, second["client_id"], second["client_secret"])).json()["access_token"]
        revoked = await tenant.call("DELETE", f"/assessment/v1/api-keys/{second['client_id']}")
        assert revoked.status_code == 204
        assert (await _token(http, second["client_id"], second["client_secret"])).status_code == 401
        stale = await http.get("/assessment/v1/organisations", headers={"Authorization": f"Bearer {token}"})
        assert stale.status_code == 401

    async def test_another_tenants_key_cannot_be_revoked(self, http: httpx.AsyncClient) -> None:
        owner, other = await new_tenant(http), await new_tenant(http)
        response = await other.call("DELETE", f"/assessment/v1/api-keys/{owner.client_id}")
        assert response.status_code == 404
        assert (await _token(http, owner.client_id, owner.client_secret)).status_code == 200

    async def test_an_unknown_scope_is_a_422(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        response = await tenant.call(
            "POST", "/assessment/v1/api-keys", json={"name": "x", "scopes": ["root"]}
        )
        assert response.status_code == 422

    async def test_accounts_are_created_by_the_operator_only(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        response = await tenant.call("POST", "/assessment/v1/accounts", json={"name": "intrus"})
        assert response.status_code == 401
        assert (
            await http.get(f"/assessment/v1/accounts/{tenant.account_id}", headers=AUTH)
        ).status_code == 200


@pytest.fixture(scope="module")
def owner_state() -> dict[str, str]:
    return {}


class TestTenantIsolation:
    """Every endpoint, probed with another tenant's token, answers 404 and changes nothing."""

    async def _owner(self, http: httpx.AsyncClient, state: dict[str, str]) -> dict[str, str]:
        if state:
            return state
        owner = await new_tenant(http)
        org = (await owner.call("POST", "/assessment/v1/organisations", json=ORGANISATION)).json()
        diag = (
            await owner.call(
                "POST",
                f"/assessment/v1/organisations/{org['organisation_id']}/diagnostics",
                json={"scope": "pme-10-priorites"},
            )
        ).json()
        resp = (
            await owner.call(
                "POST",
                f"/assessment/v1/diagnostics/{diag['diagnostic_id']}/respondents",
                json={"name": "Claire", "role": "direction"},
            )
        ).json()
        state.update(
            org=org["organisation_id"],
            diag=diag["diagnostic_id"],
            resp=resp["respondent"]["respondent_id"],
            auth=owner.headers["Authorization"],
        )
        return state

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("GET", "/organisations/{org}", None),
            ("PATCH", "/organisations/{org}", {"name": "volé"}),
            ("DELETE", "/organisations/{org}", None),
            ("GET", "/organisations/{org}/diagnostics", None),
            ("POST", "/organisations/{org}/diagnostics", {}),
            ("GET", "/diagnostics/{diag}", None),
            ("POST", "/diagnostics/{diag}/respondents", {"name": "x", "role": "y"}),
            ("DELETE", "/diagnostics/{diag}/respondents/{resp}", None),
            ("PUT", "/diagnostics/{diag}/respondents/{resp}/answers/SP1", {"level": 2}),
            ("GET", "/diagnostics/{diag}/answers", None),
            ("PUT", "/diagnostics/{diag}/validations/SP1", {"level": 2}),
            ("POST", "/diagnostics/{diag}/submit", None),
            ("POST", "/diagnostics/{diag}/withdraw", None),
            ("GET", "/diagnostics/{diag}/export.json", None),
            ("GET", "/diagnostics/{diag}/export.csv", None),
        ],
    )
    async def test_another_tenant_gets_a_404(
        self, http: httpx.AsyncClient, owner_state: dict[str, str], method: str, path: str, body: object
    ) -> None:
        state = await self._owner(http, owner_state)
        intruder: Tenant = await new_tenant(http)
        url = "/assessment/v1" + path.format(**state)
        response = (
            await intruder.call(method, url, json=body)
            if body is not None
            else await intruder.call(method, url)
        )
        assert response.status_code == 404, response.text
        still = await http.get(
            f"/assessment/v1/diagnostics/{state['diag']}", headers={"Authorization": state["auth"]}
        )
        assert still.json()["status"] == "draft"
        assert [r["revoked_at"] for r in still.json()["respondents"]] == [None]

    async def test_a_tenant_lists_only_its_organisations(self, http: httpx.AsyncClient) -> None:
        first, second = await new_tenant(http), await new_tenant(http)
        await first.call("POST", "/assessment/v1/organisations", json=ORGANISATION)
        assert (await second.call("GET", "/assessment/v1/organisations")).json()["items"] == []
