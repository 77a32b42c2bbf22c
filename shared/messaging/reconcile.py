"""What the relay has published: positions per partition, and the scan a new lease holder runs.

After each acknowledged batch the relay records, in its lease, the next offset of every
partition it has published to. A relay that takes the lease over reads each partition from
there to the end: the events with its own `ce_source` found there were published by the
previous holder, which died before removing them from the outbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition

logger = logging.getLogger(__name__)

#: The next offset to publish at, per (topic, partition).
Positions = dict[tuple[str, int], int]


class RecordPosition(Protocol):
    """Where the broker put a record (aiokafka's RecordMetadata has these fields)."""

    topic: str
    partition: int
    offset: int


def positions_to_state(positions: Positions) -> dict[str, Any]:
    """Return positions as a lease state (a list: topic names hold dots, unfit as field names)."""
    rows = [{"topic": t, "partition": p, "offset": o} for (t, p), o in sorted(positions.items())]
    return {"positions": rows}


def positions_from_state(state: Mapping[str, Any]) -> Positions:
    """Read positions back from a lease state; an empty state has none."""
    return {(row["topic"], int(row["partition"])): int(row["offset"]) for row in state.get("positions", [])}


def advance(positions: Positions, published: Iterable[RecordPosition]) -> Positions:
    """Return the positions after an acknowledged batch.

    A partition's offset is replaced, not maxed: a broker that lost its topics starts again at 0.
    """
    after: Positions = {}
    for record in published:
        key = (record.topic, record.partition)
        after[key] = max(after.get(key, 0), record.offset + 1)
    return {**positions, **after}


def scan_start(recorded: int | None, *, begin: int, end: int, limit: int) -> int:
    """Choose where to start reading a partition: the recorded position, within the last `limit`.

    An unknown position (first start, a partition added since) or one beyond the end (the broker
    lost its topics) means: read the tail, for the holder may have published there before it
    died. Reading more than needed is harmless: only this source's events count.
    """
    floor = max(begin, end - limit)
    if recorded is None or recorded > end:
        return floor
    return max(floor, recorded)


class PublishedScanner(Protocol):
    """Read what was published since known positions."""

    async def scan(
        self, recorded: Positions, *, topics: Sequence[str], source: str, limit: int
    ) -> tuple[set[str], Positions]:
        """Return the ids of `source`'s events past `recorded` and the end of every partition."""
        ...


class KafkaScanner:
    """Scan topics with a group-less aiokafka consumer (assign and seek, nothing committed)."""

    def __init__(self, bootstrap_servers: str, *, client_id: str, timeout_seconds: float = 30.0) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._timeout = timeout_seconds

    async def scan(
        self, recorded: Positions, *, topics: Sequence[str], source: str, limit: int
    ) -> tuple[set[str], Positions]:
        """Return the ids of `source`'s events past `recorded` and the end of every partition."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap_servers,
            client_id=self._client_id,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            partitions = await _partitions(consumer, topics)
            if not partitions:
                return set(), {}
            begins = await consumer.beginning_offsets(partitions)
            ends = await high_watermarks(consumer, partitions, timeout_seconds=self._timeout)
            for tp in partitions:
                known = recorded.get((tp.topic, tp.partition))
                consumer.seek(tp, scan_start(known, begin=begins[tp], end=ends[tp], limit=limit))
            ids = await self._read_to_end(consumer, partitions, source)
            return ids, {(tp.topic, tp.partition): await consumer.position(tp) for tp in partitions}
        finally:
            await consumer.stop()

    async def _read_to_end(
        self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition], source: str
    ) -> set[str]:
        """Read until every partition reaches the high watermark its last fetch reported."""
        deadline = asyncio.get_running_loop().time() + self._timeout
        pending, ids = set(partitions), set[str]()
        wanted = source.encode()
        while pending:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"could not read {sorted(map(str, pending))} to their end")
            batch = await consumer.getmany(*pending, timeout_ms=200)
            for records in batch.values():
                for record in records:
                    headers = dict(record.headers)
                    if headers.get("ce_source") == wanted and "ce_id" in headers:
                        ids.add(headers["ce_id"].decode())
            for tp in list(pending):
                highwater = consumer.highwater(tp)
                if highwater is not None and await consumer.position(tp) >= highwater:
                    pending.discard(tp)
        return ids


async def _partitions(consumer: AIOKafkaConsumer, topics: Sequence[str]) -> list[TopicPartition]:
    """List the partitions of the topics now, so partitions added since the last scan are seen."""
    await consumer.topics()  # refreshes the cluster metadata
    found = []
    for topic in topics:
        numbers = consumer.partitions_for_topic(topic) or set()
        found += [TopicPartition(topic, n) for n in sorted(numbers)]
    return found


async def high_watermarks(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], *, timeout_seconds: float
) -> dict[TopicPartition, int]:
    """Return each partition's end as a fetch reports it (Tansu's ListOffsets under-reports it).

    The consumer is assigned the partitions and left positioned near their ends.
    """
    consumer.assign(partitions)
    listed = await consumer.end_offsets(partitions)
    for tp in partitions:
        consumer.seek(tp, listed[tp])  # close to the end, so the probing fetch carries little
    deadline = asyncio.get_running_loop().time() + timeout_seconds
    while any(consumer.highwater(tp) is None for tp in partitions):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"no fetch answered for {sorted(map(str, partitions))}")
        await consumer.getmany(*partitions, timeout_ms=200)
    return {tp: consumer.highwater(tp) or 0 for tp in partitions}
