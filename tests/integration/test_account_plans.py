"""Accounts opened and moved between plans on the real stack: the events reach the broker."""

from __future__ import annotations

import httpx
import jwt
import pytest

from shared.events.contracts import build_registry
from shared.events.contracts.assessment import AccountOpened, AccountPlanChanged
from shared.events.envelope import decode
from shared.messaging.topics import events_topic
from tests.integration.conftest import AUTH, new_tenant, records_with_subject
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
ACCOUNTS = "/assessment/v1/accounts"


async def _account_events(backend: Backend, account_id: str, *, expected: int) -> list[object]:
    records = await records_with_subject(backend, events_topic("assessment"), account_id, expected=expected)
    registry = build_registry()
    return [registry.payload(decode(r.headers, r.value)) for r in records]


class TestPlanChanges:
    async def test_opening_then_changing_the_plan_reaches_the_broker(
        self, http: httpx.AsyncClient, backend: Backend
    ) -> None:
        tenant = await new_tenant(http, plan="free")
        response = await http.patch(f"{ACCOUNTS}/{tenant.account_id}", json={"plan": "premium"}, headers=AUTH)
        assert response.status_code == 200, response.text
        assert response.json()["plan"] == "premium"
        opened, changed = await _account_events(backend, tenant.account_id, expected=2)
        assert isinstance(opened, AccountOpened)
        assert opened.plan == "free"
        assert isinstance(changed, AccountPlanChanged)
        assert (changed.plan, changed.previous_plan) == ("premium", "free")

    async def test_an_unchanged_plan_is_a_200_without_an_event(
        self, http: httpx.AsyncClient, backend: Backend
    ) -> None:
        tenant = await new_tenant(http, plan="premium")
        response = await http.patch(f"{ACCOUNTS}/{tenant.account_id}", json={"plan": "premium"}, headers=AUTH)
        assert response.status_code == 200, response.text
        assert response.json()["plan"] == "premium"
        await http.patch(f"{ACCOUNTS}/{tenant.account_id}", json={"plan": "free"}, headers=AUTH)
        # One account's events keep their order: had the no-op announced anything, it would come second.
        opened, changed = await _account_events(backend, tenant.account_id, expected=2)
        assert isinstance(opened, AccountOpened)
        assert isinstance(changed, AccountPlanChanged)
        assert (changed.previous_plan, changed.plan) == ("premium", "free")

    async def test_a_token_issued_after_the_change_carries_the_new_plan(
        self, http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http, plan="free")
        await http.patch(f"{ACCOUNTS}/{tenant.account_id}", json={"plan": "premium"}, headers=AUTH)
        token = await http.post(
            "/assessment/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": tenant.client_id,
                "client_secret": tenant.client_secret,
            },
        )
        claims = jwt.decode(token.json()["access_token"], options={"verify_signature": False})
        assert claims["plan"] == "premium"
        assert (await http.get(f"{ACCOUNTS}/{tenant.account_id}", headers=AUTH)).json()["plan"] == "premium"


class TestRefusals:
    async def test_an_unknown_account_is_a_404_problem(self, http: httpx.AsyncClient) -> None:
        response = await http.patch(f"{ACCOUNTS}/acc_nobody", json={"plan": "premium"}, headers=AUTH)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")

    @pytest.mark.parametrize("body", [{"plan": "gold"}, {}, {"plan": "free", "name": "x"}])
    async def test_a_bad_body_is_a_422_problem(self, http: httpx.AsyncClient, body: dict[str, str]) -> None:
        tenant = await new_tenant(http)
        response = await http.patch(f"{ACCOUNTS}/{tenant.account_id}", json=body, headers=AUTH)
        assert response.status_code == 422
        assert response.json()["errors"]

    async def test_only_the_operator_changes_a_plan(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        response = await tenant.call("PATCH", f"{ACCOUNTS}/{tenant.account_id}", json={"plan": "premium"})
        assert response.status_code == 401
        assert (await http.get(f"{ACCOUNTS}/{tenant.account_id}", headers=AUTH)).json()["plan"] == "free"
