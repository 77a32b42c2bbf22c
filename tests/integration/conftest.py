"""Fixtures of the integration tier: running assessment and scoring apps, a broker reader, tenants."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import httpx
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from services.assessment.app import create_app
from services.assessment.settings import AssessmentSettings
from services.scoring.app import create_app as create_scoring
from services.scoring.settings import ScoringSettings
from shared.auth import generate_key_pair
from shared.settings import ServiceSettings
from tests.integration.receiver import Receiver
from tests.stack import Backend

S = TypeVar("S", bound=ServiceSettings)

TOKEN = "operator-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PRIVATE_KEY, PUBLIC_KEY = generate_key_pair()
V1 = "/assessment/v1"
PARK_SECONDS = 4.0


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


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scoring(backend: Backend, app: FastAPI) -> AsyncIterator[FastAPI]:
    """Run the scoring service beside the assessment one, with quick retries and a short park."""
    settings = ScoringSettings(
        environment="test",
        kafka_bootstrap_servers=backend.kafka_bootstrap_servers,
        mongodb_url=backend.mongodb_url,
        mongodb_database=f"scoring_{uuid.uuid4().hex[:8]}",
        jwt_public_key=PUBLIC_KEY,
        consumer_max_attempts=3,
        consumer_retry_base_seconds=0.05,
        consumer_retry_max_seconds=0.2,
        consumer_park_max_seconds=PARK_SECONDS,
        consumer_park_sweep_seconds=0.5,
    )
    application = create_scoring(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(loop_scope="module")
async def scoring_http(scoring: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Talk to the scoring app in process."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=scoring), base_url="http://test"
    ) as client:
        yield client


@contextlib.asynccontextmanager
async def running(application: FastAPI) -> AsyncIterator[FastAPI]:
    """Run an app's lifespan (its runtime, consumer and jobs) for the time of a block."""
    async with application.router.lifespan_context(application):
        yield application


def service_settings(settings: type[S], backend: Backend, **overrides: Any) -> S:
    """Settings of a service on the test stack: its own database, the tests' operator token and keys."""
    name = settings.model_fields["service_name"].default
    values: dict[str, Any] = {
        "environment": "test",
        "kafka_bootstrap_servers": backend.kafka_bootstrap_servers,
        "mongodb_url": backend.mongodb_url,
        "mongodb_database": f"{name}_{uuid.uuid4().hex[:8]}",
        "jwt_public_key": PUBLIC_KEY,
        "admin_token": TOKEN,
    }
    return settings(**{**values, **overrides})


def assert_private_page(page: httpx.Response) -> None:
    """Check an HTML page carries the headers of a page with personal data (no sniffing, CSP, no cache)."""
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-content-type-options"] == "nosniff"
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "server" not in page.headers


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


async def submitted_diagnostic(
    tenant: Tenant,
    levels: dict[str, int],
    *,
    assessed_on: str | None = None,
    validated: bool = False,
    organisation_id: str | None = None,
) -> tuple[str, str]:
    """Register an organisation (unless given), answer a quick diagnostic (and validate it), submit it."""
    org = (
        organisation_id
        or ((await tenant.call("POST", f"{V1}/organisations", json=ORGANISATION)).json()["organisation_id"])
    )
    diag = (
        await tenant.call("POST", f"{V1}/organisations/{org}/diagnostics", json={"scope": "pme-10-priorites"})
    ).json()["diagnostic_id"]
    invited = await tenant.call(
        "POST", f"{V1}/diagnostics/{diag}/respondents", json={"name": "Claire", "role": "direction"}
    )
    respondent = invited.json()["respondent"]["respondent_id"]
    for code, level in levels.items():
        url = f"{V1}/diagnostics/{diag}/respondents/{respondent}/answers/{code}"
        assert (await tenant.call("PUT", url, json={"level": level})).status_code == 200
        if validated:
            url = f"{V1}/diagnostics/{diag}/validations/{code}"
            assert (await tenant.call("PUT", url, json={"level": level})).status_code == 200
    body = {"assessed_on": assessed_on} if assessed_on else None
    submitted = await tenant.call("POST", f"{V1}/diagnostics/{diag}/submit", json=body)
    assert submitted.status_code == 200, submitted.text
    return org, diag


async def scorecard_of(http: httpx.AsyncClient, tenant: Tenant, diag: str) -> dict[str, Any]:
    """Read a diagnostic's scorecard as soon as scoring has it (30 s at most)."""
    deadline = asyncio.get_running_loop().time() + 30
    while asyncio.get_running_loop().time() < deadline:
        response = await http.get(f"/scoring/v1/diagnostics/{diag}/scorecard", headers=tenant.headers)
        if response.status_code == 200:
            return dict(response.json())
        assert response.status_code == 404, response.text
        await asyncio.sleep(0.1)
    raise AssertionError("no scorecard within 30s")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    """Receive webhooks on 127.0.0.1 for a test module."""
    found = Receiver()
    server = await asyncio.start_server(found.handle, "127.0.0.1", 0)
    found.port = server.sockets[0].getsockname()[1]
    yield found
    server.close()
