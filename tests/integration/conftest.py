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
from tests.stack import Backend

TOKEN = "operator-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}


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
