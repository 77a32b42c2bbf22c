"""Kafka plumbing: the FastStream broker of a service, its batched subscriber, a raw producer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.protocol import metadata as _metadata
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.message import StreamMessage
from prometheus_client import CollectorRegistry

from shared.messaging.consumer import IdempotentConsumer
from shared.mongo import INFRASTRUCTURE_ERRORS

logger = logging.getLogger(__name__)


def _never_create_topics_by_asking() -> None:
    """Make every aiokafka metadata request say `allow_auto_topic_creation=false`.

    A broker that lost its topics (the embedded Tansu keeps them in memory) would otherwise
    re-create each one the moment a consumer or producer asks for it, with the broker's default
    partition count and no dead-letter topic. Topics are provisioned by the services, with their
    partitions (`shared.messaging.topics`); until then a send fails and is retried.
    """
    original = _metadata.MetadataRequest.__init__
    if getattr(original, "_dimm_no_auto_create", False):
        return

    def init(
        self: Any, topics: list[str] | None = None, allow_auto_topic_creation: bool | None = False
    ) -> None:
        original(self, topics, allow_auto_topic_creation)

    init._dimm_no_auto_create = True  # type: ignore[attr-defined]
    _metadata.MetadataRequest.__init__ = init


_never_create_topics_by_asking()

#: Consumers look for partitions (and topics re-provisioned after a broker lost them) this often.
METADATA_MAX_AGE_MS = 10_000

_INFRA_PAUSE_MAX_SECONDS = 30.0
_PAUSES: tuple[type[Exception], ...] = (*INFRASTRUCTURE_ERRORS, KafkaError)


def build_broker(bootstrap_servers: str, *, service: str, registry: CollectorRegistry) -> KafkaBroker:
    """Create (without connecting) the FastStream broker of one service."""
    return KafkaBroker(
        bootstrap_servers,
        client_id=f"dimm-{service}",
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=service)],
        # Topics are provisioned by the services with their partitions, never on a subscriber's start.
        allow_auto_create_topics=False,
        metadata_max_age_ms=METADATA_MAX_AGE_MS,
        logger=logging.getLogger(f"faststream.{service}"),
        # FastStream logs every message received and processed: debug detail, not operations news.
        log_level=logging.DEBUG,
    )


class KafkaSender:
    """A plain aiokafka producer: the relay and the dead-letter path send CloudEvents records."""

    def __init__(self, bootstrap_servers: str, *, client_id: str) -> None:
        # Idempotent producing is off: Tansu refuses it, and consumers dedupe on event ids anyway.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=False,
            linger_ms=5,
            max_batch_size=256 * 1024,
            # Model documents travel whole (a few hundred kB of JSON): compressed, well under 1 MB.
            compression_type="gzip",
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
        )

    async def start(self) -> None:
        """Connect to the cluster."""
        await self._producer.start()

    async def stop(self) -> None:
        """Flush and disconnect."""
        await self._producer.stop()

    async def send(
        self, topic: str, value: bytes, *, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> asyncio.Future[Any]:
        """Queue one record; the returned future resolves when the broker has it."""
        future: asyncio.Future[Any] = await self._producer.send(topic, value=value, key=key, headers=headers)
        return future


async def _keep_raw(message: StreamMessage[Any]) -> None:
    """Skip FastStream's body decoding: the consumer decodes CloudEvents itself, poison included."""
    return None


def subscribe(
    broker: KafkaBroker,
    *,
    topics: tuple[str, ...],
    group_id: str,
    batch_size: int,
    consumer: Callable[[], IdempotentConsumer[Any]],
    description: str,
) -> Any:
    """Register the batched, manually acknowledged subscriber of a service's consumer group; return it."""

    subscriber = broker.subscriber(
        *topics,
        group_id=group_id,
        batch=True,
        max_records=batch_size,
        batch_timeout_ms=100,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        decoder=_keep_raw,
        title=f"{group_id}:consume",
        description=description,
    )

    async def on_batch(body: Any, message: KafkaMessage) -> None:
        records = message.raw_message
        batch = records if isinstance(records, tuple | list) else (records,)
        pause = 0.5
        while True:
            try:
                await consumer().process(batch)
                break
            except _PAUSES as exc:
                # The database or the broker is away: wait for it, never dead-letter for that.
                logger.warning("consumer %s paused for %.1fs: %s", group_id, pause, exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, _INFRA_PAUSE_MAX_SECONDS)
            except BaseException:
                await message.nack()
                raise
        await message.ack()

    subscriber(on_batch)
    return subscriber
