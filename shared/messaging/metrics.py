"""Metrics of the messaging kernel, declared once per service registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

CONSUMER_OUTCOMES = ("processed", "duplicate", "ignored", "invalid", "parked", "resumed", "dead_lettered")


class MessagingMetrics:
    """Counters of the outbox relay and the idempotent consumer of one service."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.relay_published = Counter(
            "dimm_outbox_published_total", "Events published by the outbox relay.", registry=registry
        )
        self.relay_failures = Counter(
            "dimm_outbox_relay_failures_total",
            "Relay rounds that failed and were retried.",
            registry=registry,
        )
        self.outbox_pending = Gauge(
            "dimm_outbox_pending_events", "Events written but not yet published.", registry=registry
        )
        self.outbox_oldest_seconds = Gauge(
            "dimm_outbox_oldest_pending_age_seconds",
            "Age of the oldest event not yet published, as the relay holder last saw it (0 when none).",
            registry=registry,
        )
        self.consumed = Counter(
            "dimm_consumer_events_total",
            "Events handled by the consumer, by outcome.",
            ["outcome"],
            registry=registry,
        )
        for outcome in CONSUMER_OUTCOMES:
            # Present at 0 from the start, so an increase() alert sees the very first one.
            self.consumed.labels(outcome)
        self.dead_letters = Counter(
            "dimm_dead_letters_total",
            "Records sent to a dead-letter topic, by that topic (each consumer group has its own).",
            ["topic"],
            registry=registry,
        )
        self.retries = Counter(
            "dimm_consumer_retries_total", "Handler attempts that failed and were retried.", registry=registry
        )
        self.batch_seconds = Histogram(
            "dimm_consumer_batch_seconds",
            "Time to process one consumed batch, transaction included.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.parked = Gauge(
            "dimm_consumer_parked_events",
            "Consumed events waiting for an event they depend on (a model version, an organisation).",
            registry=registry,
        )
        self.parked_oldest_seconds = Gauge(
            "dimm_consumer_parked_oldest_age_seconds",
            "How long the oldest parked event has been waiting.",
            registry=registry,
        )
