"""Produce events to a topic as their service's outbox relay would: CloudEvents binary mode, pipelined."""

from __future__ import annotations

import asyncio

from shared.events.envelope import Event, encode, new_envelope
from shared.messaging.kafka import KafkaSender


async def produce(
    bootstrap_servers: str, topic: str, events: list[tuple[Event, str]], *, service: str, client_id: str
) -> None:
    """Send (event, subject) pairs to a topic with the service's source, waiting until the broker has them."""
    sender = KafkaSender(bootstrap_servers, client_id=client_id)
    await sender.start()
    try:
        futures = []
        for event, subject in events:
            record = encode(new_envelope(event, source=f"/dimm/{service}", subject=subject))
            futures.append(await sender.send(topic, record.value, key=record.key, headers=record.headers))
        await asyncio.gather(*futures)
    finally:
        await sender.stop()
