"""Failed authentication is throttled on the real stack: counts in MongoDB, 429 with Retry-After."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from shared.throttle import AUTH_FAILURES_COLLECTION
from tests.integration.conftest import AUTH, Tenant, new_tenant

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

TOKEN_URL = "/assessment/v1/oauth/token"
LIMIT = 10  # the default auth_max_failures
WINDOW_SECONDS = 300
ACCOUNT = "/assessment/v1/accounts/nobody"  # an operator route


@asynccontextmanager
async def from_address(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """Talk to the app as a caller connecting from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def _unique_address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


async def _token(http: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return await http.post(TOKEN_URL, data=form)


def _assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/too-many-requests")
    assert 0 < int(response.headers["retry-after"]) <= WINDOW_SECONDS


def _assert_token_throttled(response: httpx.Response) -> None:
    """The token endpoint answers in RFC 6749's shape, never cached, with Retry-After."""
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.headers["cache-control"] == "no-store"
    assert 0 < int(response.headers["retry-after"]) <= WINDOW_SECONDS


class TestWrongClientSecrets:
    async def test_sixty_in_a_row_get_429_from_the_eleventh(
        self, app: FastAPI, http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http)
        async with from_address(app, _unique_address()) as attacker:
            statuses = [(await _token(attacker, tenant.client_id, "wrong-secret")) for _ in range(60)]
        assert [r.status_code for r in statuses[:LIMIT]] == [401] * LIMIT
        for response in statuses[LIMIT:]:
            _assert_token_throttled(response)

    async def test_the_locked_client_id_is_refused_even_with_its_secret_from_elsewhere(
        self, app: FastAPI, http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http)
        async with from_address(app, _unique_address()) as attacker:
            for _ in range(LIMIT):
                await _token(attacker, tenant.client_id, "wrong-secret")
        async with from_address(app, _unique_address()) as owner:
            _assert_token_throttled(await _token(owner, tenant.client_id, tenant.client_secret))

    async def test_another_client_from_another_address_is_unaffected(
        self, app: FastAPI, http: httpx.AsyncClient
    ) -> None:
        victim, bystander = await new_tenant(http), await new_tenant(http)
        async with from_address(app, _unique_address()) as attacker:
            for _ in range(LIMIT + 5):
                await _token(attacker, victim.client_id, "wrong-secret")
        async with from_address(app, _unique_address()) as other:
            assert (await _token(other, bystander.client_id, bystander.client_secret)).status_code == 200

    async def test_one_address_guessing_many_client_ids_is_stopped(self, app: FastAPI) -> None:
        async with from_address(app, _unique_address()) as scanner:
            statuses = [
                (await _token(scanner, f"key_{uuid.uuid4().hex}", "guess")).status_code for _ in range(15)
            ]
        assert statuses == [401] * LIMIT + [429] * 5

    async def test_a_success_resets_the_client_id_s_count(
        self, app: FastAPI, http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http)
        async with from_address(app, _unique_address()) as first:
            for _ in range(LIMIT - 1):
                assert (await _token(first, tenant.client_id, "wrong")).status_code == 401
            assert (await _token(first, tenant.client_id, tenant.client_secret)).status_code == 200
        async with from_address(app, _unique_address()) as second:
            statuses = [
                (await _token(second, tenant.client_id, "wrong")).status_code for _ in range(LIMIT - 1)
            ]
            assert statuses == [401] * (LIMIT - 1)
            assert (await _token(second, tenant.client_id, tenant.client_secret)).status_code == 200

    async def test_the_counts_are_kept_in_the_service_database_with_a_ttl(
        self, app: FastAPI, http: httpx.AsyncClient
    ) -> None:
        tenant: Tenant = await new_tenant(http)
        async with from_address(app, _unique_address()) as caller:
            for _ in range(3):
                await _token(caller, tenant.client_id, "wrong")
        collection = app.state.runtime.db[AUTH_FAILURES_COLLECTION]
        document = await collection.find_one({"_id": f"token:client:{tenant.client_id}"})
        assert document is not None
        assert document["count"] == 3
        indexes = await collection.index_information()
        assert any(index.get("expireAfterSeconds") == 0 for index in indexes.values())


class TestWrongOperatorTokens:
    async def test_sixty_in_a_row_get_429_from_the_eleventh(self, app: FastAPI) -> None:
        wrong = {"Authorization": f"Bearer wrong-{uuid.uuid4().hex}"}
        address = _unique_address()
        async with from_address(app, address) as attacker:
            responses = [await attacker.get(ACCOUNT, headers=wrong) for _ in range(60)]
            assert [r.status_code for r in responses[:LIMIT]] == [401] * LIMIT
            for response in responses[LIMIT:]:
                _assert_throttled(response)
            # Locked out: the right token from that address waits for the window too.
            _assert_throttled(await attacker.get(ACCOUNT, headers=AUTH))
        async with from_address(app, _unique_address()) as operator:
            assert (await operator.get(ACCOUNT, headers=AUTH)).status_code == 404

    async def test_an_operator_route_without_a_token_is_a_401_not_a_count(self, app: FastAPI) -> None:
        async with from_address(app, _unique_address()) as caller:
            statuses = {(await caller.get(ACCOUNT)).status_code for _ in range(LIMIT + 2)}
        assert statuses == {401}
