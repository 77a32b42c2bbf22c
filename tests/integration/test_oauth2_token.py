"""The token endpoint as RFC 6749 has it, checked with a standard OAuth2 client (Authlib)."""

from __future__ import annotations

import warnings

import httpx
import pytest
from fastapi import FastAPI

from dimm.platform import SERVICES, build_service
from shared.auth import SCOPES
from tests.integration.conftest import Tenant, new_tenant

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Authlib warns that its httpx integration moves to httpx2
    from authlib.integrations.httpx_client import AsyncOAuth2Client

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
TOKEN_URL = "/assessment/v1/oauth/token"


def _client(app: FastAPI, tenant: Tenant, method: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=tenant.client_id,
        client_secret=tenant.client_secret,
        token_endpoint_auth_method=method,
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
    )


class TestAStandardClient:
    @pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
    async def test_fetches_a_token_authenticating_either_way(
        self, app: FastAPI, http: httpx.AsyncClient, method: str
    ) -> None:
        tenant = await new_tenant(http)
        async with _client(app, tenant, method) as oauth:
            token = await oauth.fetch_token(f"http://test{TOKEN_URL}", grant_type="client_credentials")
            assert token["token_type"] == "Bearer"
            assert set(token["scope"].split()) == set(SCOPES)
            # The token works on the API, through the same client.
            listed = await oauth.get("http://test/assessment/v1/organisations")
            assert listed.status_code == 200, listed.text

    async def test_narrows_the_token_to_the_scope_it_asks_for(
        self, app: FastAPI, http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http)
        async with _client(app, tenant, "client_secret_basic") as oauth:
            token = await oauth.fetch_token(
                f"http://test{TOKEN_URL}", grant_type="client_credentials", scope="organisations:read"
            )
        assert token["scope"] == "organisations:read"


class TestRfcAnswers:
    async def test_a_token_answer_is_never_cached(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        response = await http.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            auth=(tenant.client_id, tenant.client_secret),
        )
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["pragma"] == "no-cache"

    async def test_basic_and_body_credentials_at_once_are_an_invalid_request(
        self, http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http)
        response = await http.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials", "client_secret": tenant.client_secret},
            auth=(tenant.client_id, tenant.client_secret),
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    @pytest.mark.parametrize(
        ("form", "status", "error"),
        [
            ({}, 400, "invalid_request"),
            ({"grant_type": "password"}, 400, "unsupported_grant_type"),
            ({"grant_type": "client_credentials"}, 401, "invalid_client"),
            (
                {"grant_type": "client_credentials", "client_id": "dimm_ck_nobody", "client_secret": "x"},
                401,
                "invalid_client",
            ),
        ],
    )
    async def test_errors_are_rfc_6749_bodies(
        self, http: httpx.AsyncClient, form: dict[str, str], status: int, error: str
    ) -> None:
        response = await http.post(TOKEN_URL, data=form)
        assert response.status_code == status
        assert response.json()["error"] == error
        assert response.json()["error_description"]
        assert response.headers["cache-control"] == "no-store"
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Basic")

    async def test_unreadable_basic_credentials_are_an_invalid_client(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            TOKEN_URL, data={"grant_type": "client_credentials"}, headers={"Authorization": "Basic ***"}
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    async def test_a_json_body_is_an_invalid_request_not_a_422(self, http: httpx.AsyncClient) -> None:
        response = await http.post(TOKEN_URL, json={"grant_type": "client_credentials"})
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("service", list(SERVICES))
async def test_every_service_declares_the_client_credentials_flow(service: str) -> None:
    document = build_service(service).openapi()
    flow = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == TOKEN_URL
    assert flow["scopes"] == SCOPES
    secured = [
        operation
        for operations in document["paths"].values()
        for operation in operations.values()
        if {"HTTPBearer": []} in operation.get("security", [])
    ]
    assert secured, "no operation takes a bearer token"
    assert all({"oauth2": []} in operation["security"] for operation in secured)
