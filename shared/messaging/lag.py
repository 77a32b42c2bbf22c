"""Consumer lag of one service's group, per topic and partition, from committed and end offsets.

Lag is what the group has not yet committed: the partition's end (its high watermark) minus the
group's committed offset (the partition's beginning when the group has committed nothing there).
A background task measures it every interval and sets a gauge; a failed measurement leaves the
last figures and is counted, and is logged at most once per interval of quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry, Counter, Gauge

from shared.logging import OccasionalWarning
from shared.messaging.reconcile import high_watermarks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartitionLag:
    """The group's position on one partition."""

    topic: str
    partition: int
    end: int
    committed: int | None
    begin: int

    @property
    def lag(self) -> int:
        """Records not yet committed by the group (never negative)."""
        start = self.committed if self.committed is not None and self.committed >= 0 else self.begin
        return max(0, self.end - max(start, self.begin))


def lags(
    ends: Mapping[TopicPartition, int],
    begins: Mapping[TopicPartition, int],
    committed: Mapping[TopicPartition, int | None],
) -> list[PartitionLag]:
    """Combine the offsets read from the broker into one lag per partition."""
    return [
        PartitionLag(tp.topic, tp.partition, ends[tp], committed.get(tp), begins.get(tp, 0))
        for tp in sorted(ends, key=lambda tp: (tp.topic, tp.partition))
    ]


class LagMetrics:
    """The gauges of the lag monitor."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.lag = Gauge(
            "dimm_consumer_lag_records",
            "Records of a topic partition the service's consumer group has not committed yet.",
            ["group", "topic", "partition"],
            registry=registry,
        )
        self.committed = Gauge(
            "dimm_consumer_committed_offset",
            "The group's committed offset on a topic partition (-1: nothing committed): a partition "
            "with lag whose offset does not move is stalled.",
            ["group", "topic", "partition"],
            registry=registry,
        )
        self.measured = Gauge(
            "dimm_consumer_lag_measured_timestamp_seconds",
            "When the consumer lag was last measured (Unix time).",
            ["group"],
            registry=registry,
        )
        self.failures = Counter(
            "dimm_consumer_lag_failures_total",
            "Lag measurements that failed (the broker did not answer).",
            ["group"],
            registry=registry,
        )

    def show(self, group: str, measured: Sequence[PartitionLag], *, at: float) -> None:
        """Set the gauge of every partition measured."""
        for row in measured:
            self.lag.labels(group, row.topic, str(row.partition)).set(row.lag)
            committed = row.committed if row.committed is not None else -1
            self.committed.labels(group, row.topic, str(row.partition)).set(committed)
        self.measured.labels(group).set(at)


class KafkaLagReader:
    """Read committed offsets with an admin client and ends with a group-less consumer."""

    def __init__(self, bootstrap_servers: str, *, group: str, client_id: str, timeout_seconds: float = 10.0):
        self._bootstrap = bootstrap_servers
        self._group = group
        self._client_id = client_id
        self._timeout = timeout_seconds
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._consumer is None:
            await self.close()
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-admin"
            )
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                client_id=self._client_id,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="latest",
            )
            await admin.start()
            try:
                await consumer.start()
            except BaseException:
                await admin.close()
                raise
            self._admin, self._consumer = admin, consumer
        return self._admin, self._consumer

    async def read(self, topics: Sequence[str]) -> list[PartitionLag]:
        """Return the group's lag on every partition of the topics; a failure closes the clients."""
        try:
            return await asyncio.wait_for(self._read(topics), self._timeout)
        except BaseException:
            await self.close()
            raise

    async def _read(self, topics: Sequence[str]) -> list[PartitionLag]:
        admin, consumer = await self._clients()
        await consumer.topics()  # refreshes the metadata: partitions added since are seen
        partitions = [
            TopicPartition(topic, n)
            for topic in topics
            for n in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return []
        offsets = await admin.list_consumer_group_offsets(self._group, partitions=partitions)
        committed = {tp: (meta.offset if meta is not None else None) for tp, meta in offsets.items()}
        begins = await consumer.beginning_offsets(partitions)
        ends = await high_watermarks(consumer, partitions, timeout_seconds=self._timeout)
        return lags(ends, begins, committed)

    async def close(self) -> None:
        """Close both clients (they are opened again on the next read)."""
        admin, consumer, self._admin, self._consumer = self._admin, self._consumer, None, None
        if consumer is not None:
            with contextlib.suppress(Exception):
                await consumer.stop()
        if admin is not None:
            with contextlib.suppress(Exception):
                await admin.close()


class LagMonitor:
    """Measure a group's lag every interval until stopped."""

    def __init__(
        self,
        reader: KafkaLagReader,
        metrics: LagMetrics,
        *,
        group: str,
        topics: Sequence[str],
        interval_seconds: float,
    ) -> None:
        self._reader = reader
        self._metrics = metrics
        self._group = group
        self._topics = tuple(topics)
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None
        self._warning = OccasionalWarning(logger)

    async def measure_once(self) -> list[PartitionLag]:
        """Measure now and set the gauges; a failure is counted, and logged once per quiet interval."""
        try:
            measured = await self._reader.read(self._topics)
        except Exception as exc:
            self._metrics.failures.labels(self._group).inc()
            self._warning.failed(f"consumer lag of {self._group} not measured", exc)
            return []
        self._metrics.show(self._group, measured, at=time.time())
        return measured

    async def _run(self) -> None:
        while True:
            await self.measure_once()
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        """Start measuring in the background."""
        self._metrics.failures.labels(self._group)  # present at 0 from the start
        self._task = asyncio.create_task(self._run(), name=f"consumer-lag-{self._group}")

    async def stop(self) -> None:
        """Stop measuring and close the clients."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._reader.close()
