"""Helpers of the integration tests: produce events as a service would, wait for their effect."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from dimm.bench.produce import produce as produce_events
from shared.events.envelope import Event
from tests.stack import Backend


async def produce(backend: Backend, topic: str, events: list[tuple[Event, str]], *, client_id: str) -> None:
    """Send events to a topic as their producing service would (CloudEvents binary mode, keyed by subject)."""
    await produce_events(
        backend.kafka_bootstrap_servers, topic, events, service=topic.split(".")[1], client_id=client_id
    )


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    """Wait until a condition holds, failing the test after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)
