"""A service whose database stops answers 503 with Retry-After, then serves again on its own."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from dimm.embedded import LOOPBACK, free_port, start_secantus, wait_for_port
from services.assessment.app import create_app
from services.assessment.settings import AssessmentSettings
from tests.e2e.processes import kill
from tests.integration.conftest import AUTH, PRIVATE_KEY, TOKEN
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
V1 = "/assessment/v1"
TIMEOUT_SECONDS = 1.0


@dataclass
class Database:
    """A SecantusDB of this module's own, to stop without disturbing the other tests."""

    port: int
    storage: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://{LOOPBACK}:{self.port}/?directConnection=true"

    def start(self) -> None:
        self.process = start_secantus(
            self.port, storage=str(self.storage), log_path=self.storage.parent / "secantus.log"
        )
        wait_for_port(self.port, process=self.process, name="SecantusDB", timeout=60)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            kill(self.process)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    running = Database(free_port(), tmp_path_factory.mktemp("outage") / "mongo")
    running.start()
    try:
        yield running
    finally:
        running.kill()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def outage_app(backend: Backend, database: Database) -> AsyncIterator[FastAPI]:
    settings = AssessmentSettings(
        environment="test",
        admin_token=TOKEN,
        kafka_bootstrap_servers=backend.kafka_bootstrap_servers,
        mongodb_url=database.url,
        mongodb_database=f"assessment_{uuid.uuid4().hex[:8]}",
        mongodb_timeout_seconds=TIMEOUT_SECONDS,
        jwt_private_key=PRIVATE_KEY,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(loop_scope="module")
async def http(outage_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=outage_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def _open_account(http: httpx.AsyncClient) -> httpx.Response:
    return await http.post(f"{V1}/accounts", json={"name": "Cabinet Conseil", "plan": "free"}, headers=AUTH)


class TestDatabaseStopped:
    async def test_a_write_is_answered_503_with_retry_after_within_the_timeout(
        self, http: httpx.AsyncClient, database: Database
    ) -> None:
        assert (await _open_account(http)).status_code == 201
        database.kill()
        try:
            started = time.monotonic()
            response = await _open_account(http)
            elapsed = time.monotonic() - started
        finally:
            database.start()

        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["retry-after"]) > 0
        assert response.json()["type"].endswith("/problems/service-unavailable")
        assert elapsed < TIMEOUT_SECONDS + 5

    async def test_readiness_says_unavailable_while_the_database_is_stopped(
        self, http: httpx.AsyncClient, database: Database
    ) -> None:
        database.kill()
        try:
            response = await http.get("/assessment/readyz")
        finally:
            database.start()

        assert response.status_code == 503
        assert response.json()["checks"]["mongodb"] is False

    async def test_the_service_writes_again_once_the_database_is_back_without_a_restart(
        self, http: httpx.AsyncClient, database: Database
    ) -> None:
        database.kill()
        assert (await _open_account(http)).status_code == 503
        database.start()

        deadline = time.monotonic() + 20
        while (response := await _open_account(http)).status_code == 503 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert response.status_code == 201, response.text
        account = await http.get(f"{V1}/accounts/{response.json()['account_id']}", headers=AUTH)
        assert account.status_code == 200
