"""`dimm bench alerts`: inject faults into a running platform and time the alerts Prometheus fires.

The platform runs as four service processes on an embedded Tansu and SecantusDB, scraped by
Debian's Prometheus on the repository's rules (unchanged; scrape and evaluation every few
seconds). Each fault is injected, then Prometheus' alerts API is polled until an alert the fault
should cause fires; the time from the fault to the firing is compared with the rule's own delay
(its `for`, plus the window its expression needs) plus two scrape intervals.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from dimm.embedded import EmbeddedStack, free_port, start_service, stop_process, wait_ready
from dimm.monitoring import find_tool, firing_alerts, running_prometheus
from shared.auth import generate_key_pair
from shared.messaging.topics import events_topic, platform_topics, provision_topics

Echo = Callable[[str], None]
SERVICES = ("assessment", "scoring", "benchmark", "watch")
FAULTS = ("poison", "service", "stalled", "broker")
#: The group the stalled-consumer fault slows down, and the topic it feeds.
STALLED_GROUP, STALLED_SERVICE = "dimm.benchmark", "benchmark"


@dataclass(frozen=True)
class Expectation:
    """What a fault should fire, and within how long at most (the rule's delays, before scrapes)."""

    alerts: tuple[str, ...]
    rule_delay_seconds: float
    why: str


EXPECTED = {
    "poison": Expectation(("DeadLettersIncreasing",), 0, "DeadLettersIncreasing: no `for`"),
    "service": Expectation(("ServiceDown",), 60, "ServiceDown: for 1m"),
    "stalled": Expectation(("ConsumerStalled",), 6 * 60, "ConsumerStalled: offset still for 5m, then for 1m"),
    # A broker that restarts empty (the embedded Tansu keeps its topics in memory): whichever
    # symptom comes first; ProbeStale allows 5 min without an answer, then its `for` of 1 min.
    "broker": Expectation(
        ("ServiceNotReady", "ProbeStale", "ConsumerStalled", "OutboxBacklogOld", "ConsumerLagUnmeasured"),
        6 * 60,
        "the first of ServiceNotReady (2m), ProbeStale (5m + 1m), ConsumerStalled (5m + 1m), …",
    ),
}


@dataclass
class Detection:
    """One fault and what Prometheus made of it."""

    fault: str
    goal_seconds: float
    alert: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    seconds: float | None = None

    @property
    def met(self) -> bool:
        return self.seconds is not None and self.seconds <= self.goal_seconds


@dataclass
class Platform:
    """The four services as processes on an embedded stack, restartable one by one."""

    stack: EmbeddedStack
    work: Path
    scrape_seconds: float
    ports: dict[str, int] = field(default_factory=dict)
    #: Where each service serves /<service>/metrics (kept across restarts, as Prometheus scrapes it).
    metrics_ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: list[IO[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.token = "bench-alerts-" + uuid.uuid4().hex
        self.private_key, self.public_key = generate_key_pair()

    @property
    def kafka(self) -> str:
        return self.stack.kafka_bootstrap_servers

    @staticmethod
    def database(service: str) -> str:
        """The database of a service in this run."""
        return f"bench_alerts_{service}"

    def env(self, service: str) -> dict[str, str]:
        prefix = f"DIMM_{service.upper()}_"
        return {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            "MONGODB_URL": self.stack.mongodb_url,
            "DIMM_ENVIRONMENT": "test",
            "DIMM_ASSESSMENT_ADMIN_TOKEN": self.token,
            "DIMM_ASSESSMENT_JWT_PRIVATE_KEY": self.private_key,
            "DIMM_JWT_PUBLIC_KEY": self.public_key,
            f"{prefix}MONGODB_DATABASE": self.database(service),
            f"{prefix}CONSUMER_LAG_INTERVAL_SECONDS": f"{self.scrape_seconds:g}",
        }

    def start(self, service: str) -> None:
        port = self.ports.setdefault(service, free_port())
        metrics_port = self.metrics_ports.setdefault(service, free_port())
        log = open(self.work / f"{service}.log", "ab")  # noqa: SIM115 - kept open for the child
        self.logs.append(log)
        self.processes[service] = start_service(
            service, port=port, env=self.env(service), log=log, metrics_port=metrics_port
        )

    def wait_ready(self, service: str) -> None:
        wait_ready(f"http://127.0.0.1:{self.ports[service]}", service, process=self.processes[service])

    def restart(self, service: str) -> None:
        self.start(service)
        self.wait_ready(service)

    def kill(self, service: str) -> None:
        process = self.processes[service]
        process.kill()
        process.wait(timeout=10)

    def targets(self) -> dict[str, str]:
        return {service: f"127.0.0.1:{port}" for service, port in self.metrics_ports.items()}

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs:
            log.close()


def _key(alert: dict[str, Any]) -> str:
    return json.dumps(alert["labels"], sort_keys=True)


def wait_until_scraped(prometheus: str, targets: int, *, timeout: float) -> None:
    """Wait until Prometheus has scraped every service successfully."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": "sum(up)"}, timeout=5).json()
            results = answer["data"]["result"]
            if results and float(results[0]["value"][1]) >= targets:
                return
        time.sleep(0.25)
    raise RuntimeError(f"Prometheus did not scrape the {targets} services within {timeout:.0f} s")


def wait_for_alert(
    prometheus: str, names: tuple[str, ...], *, before: set[str], started: float, timeout: float
) -> tuple[dict[str, Any] | None, float | None]:
    """Poll Prometheus until a new alert of one of `names` fires; return it and the seconds taken."""
    deadline = started + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            for alert in firing_alerts(prometheus):
                if alert["labels"]["alertname"] in names and _key(alert) not in before:
                    return alert, time.monotonic() - started
        time.sleep(0.25)
    return None, None


async def _produce(bootstrap: str, topic: str, records: list[tuple[bytes, list[tuple[str, bytes]]]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id="dimm-bench-alerts")
    await producer.start()
    try:
        partitions = sorted(await producer.partitions_for(topic))
        for n, (value, headers) in enumerate(records):
            partition = partitions[n % len(partitions)]
            await producer.send_and_wait(topic, value, partition=partition, headers=headers)
    finally:
        await producer.stop()


def noise(count: int) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """Valid CloudEvents of a type no service handles: each consumer reads and ignores them."""
    records = []
    for _ in range(count):
        headers = [
            ("ce_specversion", b"1.0"),
            ("ce_id", str(uuid.uuid4()).encode()),
            ("ce_source", b"/dimm/bench-alerts"),
            ("ce_type", b"dimm.bench.noise.v1"),
            ("ce_time", datetime.now(UTC).isoformat().encode()),
            ("content-type", b"application/json"),
        ]
        records.append((b"{}", headers))
    return records


@contextlib.contextmanager
def zombie_member(bootstrap: str, group: str, topics: tuple[str, ...]) -> Iterator[None]:
    """Join a consumer group as a member that reads its partitions and never commits (a stuck consumer)."""
    stop = asyncio.Event()
    joined = asyncio.Event()
    loop = asyncio.new_event_loop()

    async def member() -> None:
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            group_id=group,
            client_id="dimm-bench-zombie",
            enable_auto_commit=False,
            auto_offset_reset="latest",
            max_poll_interval_ms=3_600_000,
        )
        await consumer.start()
        try:
            while not stop.is_set():
                await consumer.getmany(timeout_ms=500)
                if consumer.assignment():
                    joined.set()
        finally:
            await consumer.stop()

    task_done = threading.Event()

    def run() -> None:
        try:
            loop.run_until_complete(member())
        finally:
            task_done.set()

    thread = threading.Thread(target=run, name="zombie-member", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not joined.is_set() and time.monotonic() < deadline and not task_done.is_set():
        time.sleep(0.2)
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)


def inject(fault: str, platform: Platform, prometheus: str, echo: Echo) -> Detection:
    """Inject one fault, wait for its alert, then put the platform back."""
    expected = EXPECTED[fault]
    goal = expected.rule_delay_seconds + 2 * platform.scrape_seconds
    detection = Detection(fault, goal)
    before = {_key(alert) for alert in firing_alerts(prometheus)}
    timeout = goal + 120
    echo(f"  {fault}: injecting (expecting {expected.why}; goal ≤ {goal:.0f} s)")
    with contextlib.ExitStack() as undo:
        if fault == "poison":
            started = time.monotonic()
            poison: list[tuple[bytes, list[tuple[str, bytes]]]] = [(b"\x00 not a CloudEvent", [])]
            asyncio.run(_produce(platform.kafka, events_topic("assessment"), poison))
        elif fault == "service":
            started = time.monotonic()
            platform.kill("scoring")
            undo.callback(platform.restart, "scoring")
        elif fault == "stalled":
            undo.enter_context(zombie_member(platform.kafka, STALLED_GROUP, (events_topic("assessment"),)))
            started = time.monotonic()
            # Records on every partition: those the stuck member holds are never committed.
            asyncio.run(_produce(platform.kafka, events_topic("assessment"), noise(30)))
        elif fault == "broker":
            started = time.monotonic()
            stop_process(platform.stack.processes.pop("tansu"))
            time.sleep(5)
            platform.stack.start_kafka()
        alert, seconds = wait_for_alert(
            prometheus, expected.alerts, before=before, started=started, timeout=timeout
        )
    if alert is not None:
        detection.alert, detection.labels, detection.seconds = (
            alert["labels"]["alertname"],
            dict(alert["labels"]),
            seconds,
        )
    return detection


def print_detections(detections: list[Detection], echo: Echo) -> None:
    """One line per fault: the alert, its labels, the time, the goal."""
    echo(f"  {'fault':<9} {'alert':<24} {'labels':<42} {'seconds':>7} {'goal':>6}  verdict")
    for found in detections:
        labels = {k: v for k, v in found.labels.items() if k in ("service", "group", "topic", "partition")}
        shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
        seconds = f"{found.seconds:7.1f}" if found.seconds is not None else "      –"
        verdict = "met" if found.met else ("NOT detected" if found.seconds is None else "NOT met (late)")
        alert = found.alert or "—"
        goal = f"{found.goal_seconds:6.0f}"
        echo(f"  {found.fault:<9} {alert:<24} {shown[:42]:<42} {seconds} {goal}  {verdict}")
    detected = sum(1 for d in detections if d.seconds is not None)
    met = sum(1 for d in detections if d.met)
    echo(f"  detected {detected}/{len(detections)}, within the goal {met}/{len(detections)}")


@contextlib.contextmanager
def running_platform(name: str, *, scrape_seconds: float) -> Iterator[Platform]:
    """Tansu and SecantusDB (on disk) with the platform's topics, then the four services as processes."""
    with tempfile.TemporaryDirectory(prefix=f"dimm-bench-{name}-") as tmp:
        work = Path(tmp)
        stack = EmbeddedStack(data_dir=work, kafka_port=free_port(), mongo_port=free_port())
        platform = Platform(stack, work, scrape_seconds)
        try:
            stack.start_kafka()
            stack.start_mongo()
            provision_topics(stack.kafka_bootstrap_servers, platform_topics(partitions=3, retention_hours=24))
            for service in SERVICES:
                platform.start(service)
            for service in SERVICES:
                platform.wait_ready(service)
            yield platform
        finally:
            platform.stop()
            stack.stop()


def run_alerts_bench(*, faults: tuple[str, ...], scrape_seconds: float, echo: Echo) -> list[Detection]:
    """Start the platform and Prometheus, inject each fault in turn, and print what fired when."""
    if find_tool("prometheus") is None:
        raise LookupError("Prometheus is not installed: `make monitoring` fetches it (Debian's package)")
    unknown = set(faults) - set(FAULTS)
    if unknown:
        raise ValueError(f"unknown faults {sorted(unknown)}; choose from {', '.join(FAULTS)}")
    echo(
        f"dimm bench alerts — faults {', '.join(faults)}; Prometheus scrapes and evaluates every "
        f"{scrape_seconds:g} s; rules of deploy/prometheus/rules unchanged"
    )
    with (
        running_platform("alerts", scrape_seconds=scrape_seconds) as platform,
        running_prometheus(
            platform.work / "prometheus",
            platform.targets(),
            port=free_port(),
            scrape_interval_seconds=scrape_seconds,
        ) as prometheus,
    ):
        wait_until_scraped(prometheus, len(SERVICES), timeout=60)
        time.sleep(2 * scrape_seconds)  # every counter seen at 0 before a fault moves it
        detections = [inject(fault, platform, prometheus, echo) for fault in faults]
    print_detections(detections, echo)
    return detections
