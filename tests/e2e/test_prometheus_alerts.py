"""A real Prometheus on our rules, scraping service processes on the embedded stack.

Stopping a service fires its ServiceDown, and a poison event fires the dead-letter alert, read
from Prometheus' own alerts API. The rules are the repository's, unchanged; only the scrape and
evaluation intervals are short (1 s), so an alert fires within its `for` plus a second or two.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from dimm.embedded import free_port
from dimm.monitoring import find_tool, firing_alerts, running_prometheus
from shared.messaging.topics import dead_letter_topic, events_topic
from tests.e2e.processes import Platform
from tests.stack import embedded_backend

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        find_tool("prometheus") is None, reason="Prometheus is not installed: `make monitoring` fetches it"
    ),
]
SERVICES = ("assessment", "scoring")
#: ServiceDown's `for` (1 min) plus scrapes, evaluations and the alert's own resend delay.
SERVICE_DOWN_SECONDS = 100.0


def wait_for(condition: Callable[[], Any], what: str, *, timeout: float) -> Any:
    """Poll until `condition` returns something true; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"after {timeout:.0f} s: {what}")
        time.sleep(0.5)


def alerts_named(prometheus: str, name: str, **labels: str) -> list[dict[str, Any]]:
    """The firing alerts of that name whose labels include `labels`."""
    return [
        alert
        for alert in firing_alerts(prometheus)
        if alert["labels"]["alertname"] == name and labels.items() <= alert["labels"].items()
    ]


def scraped_up(prometheus: str) -> dict[str, float]:
    """`up` per service, as Prometheus last scraped it."""
    result = httpx.get(f"{prometheus}/api/v1/query", params={"query": "up"}, timeout=5).json()
    return {r["metric"].get("service", ""): float(r["value"][1]) for r in result["data"]["result"]}


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, str]]:
    """Assessment and scoring as processes, and Prometheus scraping them every second."""
    work = Path(tmp_path_factory.mktemp("prometheus"))
    with embedded_backend() as backend:
        platform = Platform(backend, work, "alerts")
        try:
            for service in SERVICES:
                platform.start(service, **{f"DIMM_{service.upper()}_CONSUMER_LAG_INTERVAL_SECONDS": "1"})
            for service in SERVICES:
                platform.wait_ready(service)
            # Scraped where the metrics live: each process's internal metrics port.
            targets = {service: platform.metrics_target(service) for service in SERVICES}
            with running_prometheus(
                work / "prometheus", targets, port=free_port(), scrape_interval_seconds=1.0
            ) as prometheus:
                wait_for(
                    lambda: scraped_up(prometheus) == {"assessment": 1.0, "scoring": 1.0},
                    "Prometheus never scraped both services",
                    timeout=30,
                )
                yield platform, prometheus
        finally:
            platform.stop_all()


async def _poison(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id="alerts-poison")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"\x00 not a CloudEvent {", key=b"poison")
    finally:
        await producer.stop()


class TestPrometheusFiresOurAlerts:
    def test_a_poison_event_fires_the_dead_letter_alert_of_the_service_that_set_it_aside(
        self, monitored: tuple[Platform, str]
    ) -> None:
        platform, prometheus = monitored
        dlq = dead_letter_topic("dimm.scoring")
        assert not alerts_named(prometheus, "DeadLettersIncreasing")
        asyncio.run(_poison(platform.backend.kafka_bootstrap_servers, events_topic("assessment")))
        (alert,) = wait_for(
            lambda: alerts_named(prometheus, "DeadLettersIncreasing", service="scoring"),
            "DeadLettersIncreasing never fired for scoring",
            timeout=30,
        )
        assert alert["labels"]["topic"] == dlq
        assert alert["labels"]["severity"] == "ticket"
        assert dlq in alert["annotations"]["summary"]

    def test_stopping_a_service_fires_its_service_down_and_nothing_for_the_others(
        self, monitored: tuple[Platform, str]
    ) -> None:
        platform, prometheus = monitored
        assert not alerts_named(prometheus, "ServiceDown")
        platform.kill("scoring")
        stopped = time.monotonic()
        # Not before the rule's minute has passed: `for: 1m` holds it pending.
        time.sleep(20)
        assert not alerts_named(prometheus, "ServiceDown")
        (alert,) = wait_for(
            lambda: alerts_named(prometheus, "ServiceDown", service="scoring"),
            "ServiceDown never fired for scoring",
            timeout=SERVICE_DOWN_SECONDS,
        )
        assert time.monotonic() - stopped >= 60
        assert alert["labels"]["severity"] == "page"
        assert alert["annotations"]["runbook"].startswith("Check the process or container of scoring")
        assert not alerts_named(prometheus, "ServiceDown", service="assessment")
