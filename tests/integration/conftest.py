"""Fixtures of the integration tier: a running assessment app, a broker reader."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from services.assessment.app import create_app
from services.assessment.settings import AssessmentSettings
from shared.auth import generate_key_pair
from tests.stack import Backend

TOKEN = "operator-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PRIVATE_KEY, PUBLIC_KEY = generate_key_pair()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(backend: Backend) -> AsyncIterator[FastAPI]:
    """Run the assessment service, with a database of its own, for a test module."""
    settings = AssessmentSettings(
        environment="test",
        admin_token=TOKEN,
        kafka_bootstrap_servers=backend.kafka_bootstrap_servers,
        mongodb_url=backend.mongodb_url,
        mongodb_database=f"assessment_{uuid.uuid4().hex[:8]}",
        probe_burst_max=50,
        jwt_private_key=PRIVATE_KEY,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(loop_scope="module")
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Talk to the app in process."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def records_with_subject(backend: Backend, topic: str, subject: str, *, expected: int = 1) -> list[Any]:
    """Read a topic from the start until `expected` records keyed by `subject` were seen (20 s at most)."""
    reader = AIOKafkaConsumer(
        topic, bootstrap_servers=backend.kafka_bootstrap_servers, auto_offset_reset="earliest", group_id=None
    )
    await reader.start()
    found: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while len(found) < expected and asyncio.get_running_loop().time() < deadline:
            batch = await reader.getmany(timeout_ms=500)
            found += [r for rs in batch.values() for r in rs if r.key == subject.encode()]
        return found
    finally:
        await reader.stop()


class Tenant:
    """An account with an API key and an access token, as an API client holds them."""

    def __init__(
        self, http: httpx.AsyncClient, account_id: str, client_id: str, client_secret: str, token: str
    ) -> None:
        self.http = http
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Call the API with this tenant's token."""
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.http.request(method, url, headers=headers, **kwargs)


async def new_tenant(
    http: httpx.AsyncClient, *, plan: str = "free", scopes: list[str] | None = None
) -> Tenant:
    """Create an account (operator), give it a key, and exchange the key for a token."""
    account = await http.post(
        "/assessment/v1/accounts", json={"name": "Cabinet Conseil", "plan": plan}, headers=AUTH
    )
    assert account.status_code == 201, account.text
    account_id = account.json()["account_id"]
    key = await http.post(
        f"/assessment/v1/accounts/{account_id}/api-keys", json={"name": "ci", "scopes": scopes}, headers=AUTH
    )
    assert key.status_code == 201, key.text
    client_id, secret = key.json()["client_id"], key.json()["client_secret"]
    token = await http.post(
        "/assessment/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert token.status_code == 200, token.text
    return Tenant(http, account_id, client_id, secret, token.json()["access_token"])


ORGANISATION = {
    "name": "Boulangerie Martin",
    "sector": "commerce",
    "headcount": 42,
    "region": "bretagne",
    "organisation_type": "entreprise",
    "siren": "732829320",
}
