"""The I/O a service owns for its lifetime: Mongo client, Kafka broker and producer, relay."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

from shared.events.contracts import build_registry
from shared.events.envelope import Event, EventRegistry, event_source
from shared.lease import LEASES_COLLECTION, Lease
from shared.messaging.asyncapi import TopicFamily, service_document
from shared.messaging.consumer import DeadLetters, IdempotentConsumer, RetryPolicy
from shared.messaging.guard import TopicGuard
from shared.messaging.kafka import KafkaSender, build_broker, subscribe
from shared.messaging.lag import KafkaLagReader, LagMetrics, LagMonitor
from shared.messaging.metrics import MessagingMetrics
from shared.messaging.outbox import (
    OUTBOX_COLLECTION,
    RELAY_LEASE,
    Outbox,
    OutboxRelay,
    ensure_outbox_indexes,
    replay_outbox,
)
from shared.messaging.reconcile import KafkaScanner
from shared.messaging.resume import ParkingPolicy
from shared.messaging.subscription import Subscription
from shared.messaging.topics import TopicSpec, dead_letter_topic, events_topic, service_topics
from shared.mongo import Client, Database, create_client, ping
from shared.mongo_unit_of_work import Storage
from shared.settings import ServiceSettings
from shared.tracing import tracer
from shared.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

T = TypeVar("T")
U = TypeVar("U", bound=UnitOfWork)
IndexSetup = Callable[[Database], Awaitable[None]]
PARKED_SWEEP_LEASE = "parked-events-sweep"


async def _retry_start(what: str, step: Callable[[], Awaitable[T]], *, deadline_seconds: float) -> T:
    """Retry a start-up step while its dependency comes up (compose starts all at once)."""
    deadline = time.monotonic() + deadline_seconds
    pause = 0.25
    while True:
        try:
            return await step()
        except Exception as exc:
            if time.monotonic() > deadline:
                raise
            logger.warning("%s not ready (%s); retrying in %.1fs", what, exc, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)


class ServiceRuntime(Generic[U]):
    """Create, start and stop the messaging and storage of one service."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        registry: CollectorRegistry,
        unit_of_work: Callable[[Storage], U],
        subscription: Subscription[U] | None = None,
        index_setup: IndexSetup | None = None,
        events: EventRegistry | None = None,
        publishes: tuple[type[Event], ...] = (),
        families: tuple[TopicFamily, ...] = (),
        startup_deadline_seconds: float = 60.0,
    ) -> None:
        self.settings = settings
        self.name = settings.service_name
        self.events = events or build_registry()
        self.publishes = publishes
        self.families = families
        self.metrics = MessagingMetrics(registry)
        self.lag_metrics = LagMetrics(registry) if subscription is not None else None
        self.broker: KafkaBroker = build_broker(
            settings.kafka_bootstrap_servers, service=self.name, registry=registry
        )
        self._unit_of_work = unit_of_work
        self._subscription = subscription
        self._index_setup = index_setup
        self._deadline = startup_deadline_seconds
        self._client: Client | None = None
        self._sender: KafkaSender | None = None
        self._outbox: Outbox | None = None
        self._relay: OutboxRelay | None = None
        self._consumer: IdempotentConsumer[U] | None = None
        self._lag: LagMonitor | None = None
        self._guard: TopicGuard | None = None
        self._subscriber: Any = None
        if subscription is not None:
            self._subscriber = subscribe(
                self.broker,
                topics=subscription.topics,
                group_id=settings.consumer_group,
                batch_size=settings.consumer_batch_size,
                consumer=self._require_consumer,
                description=f"Handles: {', '.join(subscription.event_types)}",
            )

    @property
    def subscription(self) -> Subscription[U] | None:
        """Return what the service consumes, if anything."""
        return self._subscription

    @property
    def consumer(self) -> IdempotentConsumer[U]:
        """Return the running consumer (only between start and stop)."""
        return self._require_consumer()

    def _require_consumer(self) -> IdempotentConsumer[U]:
        if self._consumer is None:
            raise RuntimeError(f"{self.name} consumer used before start")
        return self._consumer

    @property
    def client(self) -> Client:
        """Return the Mongo client (only between start and stop)."""
        if self._client is None:
            raise RuntimeError(f"{self.name} runtime is not started")
        return self._client

    @property
    def db(self) -> Database:
        """Return the service's own database."""
        return self.client[self.settings.mongodb_database]

    @property
    def outbox(self) -> Outbox:
        """Return the outbox to stage events in a transaction."""
        if self._outbox is None:
            raise RuntimeError(f"{self.name} runtime is not started")
        return self._outbox

    def storage(self) -> Storage:
        """Return what the service's Mongo unit of work is built on."""
        return Storage(self.client, self.db, self.outbox, self.events_committed)

    def unit_of_work(self) -> U:
        """Return a new unit of work of the service (between start and stop)."""
        return self._unit_of_work(self.storage())

    def lease(self, name: str) -> Lease:
        """Return a lease in the service's database, for work one replica at a time must do."""
        return Lease(self.db[LEASES_COLLECTION], name, ttl_seconds=self.settings.relay_lease_seconds)

    def events_committed(self) -> None:
        """Wake the relay after a transaction that staged events has committed."""
        if self._relay is not None:
            self._relay.notify()

    def asyncapi(self) -> dict[str, Any]:
        """Return the AsyncAPI 3 document of what the service publishes, consumes and dead-letters."""
        return service_document(
            self.name,
            settings=self.settings,
            publishes=self.publishes,
            subscription=self._subscription,
            registry=self.events,
            families=self.families,
        )

    async def start(self) -> None:
        """Connect to the database and the bus, provision topics, start relaying and consuming."""
        settings = self.settings
        self._client = create_client(
            settings.mongodb_url.get_secret_value(),
            app_name=f"dimm-{self.name}",
            timeout_ms=int(settings.mongodb_timeout_seconds * 1000),
        )
        self._outbox = Outbox(
            self.db[OUTBOX_COLLECTION], source=event_source(self.name), topic=events_topic(self.name)
        )
        await _retry_start(
            "mongodb", lambda: self.client.admin.command("ping"), deadline_seconds=self._deadline
        )
        if self._index_setup is not None:
            await self._index_setup(self.db)
        await ensure_outbox_indexes(
            self.db[OUTBOX_COLLECTION], retention_seconds=settings.outbox_retention_hours * 3600
        )
        specs = service_topics(
            self.name, partitions=settings.topic_partitions, retention_hours=settings.topic_retention_hours
        )
        self._guard = TopicGuard(
            settings.kafka_bootstrap_servers,
            specs,
            own_topic=events_topic(self.name),
            interval_seconds=settings.topic_check_seconds,
            on_lost=self._replay_lost,
        )
        await _retry_start("kafka", self._guard.provision, deadline_seconds=self._deadline)
        self._sender = KafkaSender(settings.kafka_bootstrap_servers, client_id=f"dimm-{self.name}-relay")
        await self._sender.start()
        self._relay = OutboxRelay(
            self.db[OUTBOX_COLLECTION],
            self._sender,
            lease=Lease(self.db[LEASES_COLLECTION], RELAY_LEASE, ttl_seconds=settings.relay_lease_seconds),
            scanner=KafkaScanner(settings.kafka_bootstrap_servers, client_id=f"dimm-{self.name}-relay-scan"),
            source=self.outbox.source,
            topics=(self.outbox.topic,),
            metrics=self.metrics,
            batch_size=settings.relay_batch_size,
            poll_seconds=settings.relay_poll_seconds,
            tracer=tracer(self.name),
        )
        self._relay.start()
        if self._subscription is not None:
            self._consumer = self._build_consumer(self._subscription, self._sender)
            await self._consumer.ensure_indexes()
            self._consumer.resumer.start()
        await self.broker.start()
        self._guard.start()
        if self._subscription is not None and self.lag_metrics is not None:
            self._lag = LagMonitor(
                KafkaLagReader(
                    settings.kafka_bootstrap_servers,
                    group=settings.consumer_group,
                    client_id=f"dimm-{self.name}-lag",
                ),
                self.lag_metrics,
                group=settings.consumer_group,
                topics=self._subscription.topics,
                interval_seconds=settings.consumer_lag_interval_seconds,
            )
            self._lag.start()
        logger.info("%s runtime started", self.name)

    def _build_consumer(self, subscription: Subscription[U], sender: KafkaSender) -> IdempotentConsumer[U]:
        settings = self.settings
        return IdempotentConsumer(
            unit_of_work=self.unit_of_work,
            db=self.db,
            registry=self.events,
            subscription=subscription,
            dead_letters=DeadLetters(
                sender, topic=dead_letter_topic(settings.consumer_group), group=settings.consumer_group
            ),
            retry=RetryPolicy(
                max_attempts=settings.consumer_max_attempts,
                base_seconds=settings.consumer_retry_base_seconds,
                max_seconds=settings.consumer_retry_max_seconds,
            ),
            metrics=self.metrics,
            parking=ParkingPolicy(
                max_seconds=settings.consumer_park_max_seconds,
                sweep_seconds=settings.consumer_park_sweep_seconds,
            ),
            # One replica sweeps waits; any replica resumes what the events it handles bring.
            sweep_lease=Lease(
                self.db[LEASES_COLLECTION], PARKED_SWEEP_LEASE, ttl_seconds=settings.relay_lease_seconds
            ),
            tracer=tracer(self.name),
        )

    async def ensure_topics(self, specs: Sequence[TopicSpec]) -> None:
        """Provision topics beyond the platform's (a partner's own), kept provisioned like the others."""
        if self._guard is None:
            raise RuntimeError("the service is not started: no topic can be provisioned")
        await self._guard.ensure(specs)

    async def stop(self) -> None:
        """Stop consuming first, then relaying, then close the connections."""
        if self._lag is not None:
            await self._lag.stop()
            self._lag = None
        if self._guard is not None:
            await self._guard.stop()
            self._guard = None
        await self.broker.stop()
        if self._consumer is not None:
            await self._consumer.resumer.stop()
        if self._relay is not None:
            await self._relay.stop()
        if self._sender is not None:
            await self._sender.stop()
        if self._client is not None:
            await self._client.close()
        self._client = self._sender = self._relay = self._consumer = None
        logger.info("%s runtime stopped", self.name)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[ServiceRuntime[U]]:
        """Run the runtime for the duration of a block."""
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    async def _replay_lost(self, topics: list[str]) -> None:
        """Publish again what this service published in the replay window: the broker lost it."""
        since = datetime.now(UTC) - timedelta(minutes=self.settings.outbox_replay_window_minutes)
        count = await replay_outbox(self.db[OUTBOX_COLLECTION], since=since)
        logger.warning(
            "%s replays %d events published since %s (the broker lost %s)",
            self.name,
            count,
            since.isoformat(timespec="seconds"),
            ", ".join(topics),
        )
        self.events_committed()

    def _consuming(self) -> bool:
        """Tell whether the consumer holds partitions (a service that consumes nothing is fine)."""
        if self._subscription is None:
            return True
        consumer = getattr(self._subscriber, "consumer", None)
        try:
            return consumer is not None and bool(consumer.assignment())
        except Exception:
            return False

    async def readiness(self) -> dict[str, bool]:
        """Tell whether MongoDB and Kafka answer, the topics exist and the consumer holds partitions."""
        mongo_ok = self._client is not None and await ping(self._client)
        try:
            kafka_ok = bool(await self.broker.ping(timeout=2.0))
        except Exception:
            kafka_ok = False
        topics_ok = self._guard is not None and self._guard.ok
        return {"mongodb": mongo_ok, "kafka": kafka_ok, "topics": topics_ok, "consumer": self._consuming()}
