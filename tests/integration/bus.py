"""Helpers of the integration tests: produce events as a service would, wait for their effect."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from shared.events.envelope import Event, encode, new_envelope
from shared.messaging.kafka import KafkaSender
from tests.stack import Backend


async def produce(backend: Backend, topic: str, events: list[tuple[Event, str]], *, client_id: str) -> None:
    """Send events to a topic as their producing service would (CloudEvents binary mode, keyed by subject)."""
    sender = KafkaSender(backend.kafka_bootstrap_servers, client_id=client_id)
    await sender.start()
    try:
        futures = []
        for event, subject in events:
            record = encode(new_envelope(event, source=f"/dimm/{topic.split('.')[1]}", subject=subject))
            futures.append(await sender.send(topic, record.value, key=record.key, headers=record.headers))
        await asyncio.gather(*futures)
    finally:
        await sender.stop()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    """Wait until a condition holds, failing the test after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)
