"""Two watch processes, one scheduler lease: SIGKILL the holder, the other takes over, nothing is doubled."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from pymongo import MongoClient
from pymongo.database import Database

from dimm.embedded import free_port, start_service, wait_ready
from services.watch.bootstrap import SCHEDULER_LEASE
from shared.auth import SCOPES, Principal, TokenIssuer, generate_key_pair, load_private_key
from shared.events.contracts.assessment import AccountOpened
from shared.events.contracts.catalogue import ModelPublished
from shared.events.envelope import Event
from shared.lease import LEASES_COLLECTION
from shared.messaging.topics import events_topic
from shared.model.editions import shipped_edition
from tests.e2e.processes import kill, stop_all
from tests.integration.bus import produce
from tests.stack import Backend, embedded_backend
from tests.unit.benchmark.events import registered, scored

pytestmark = pytest.mark.e2e

REPLICAS = ("watch-a", "watch-b")
LEASE_SECONDS = 3.0
TOKEN = "operator-" + uuid.uuid4().hex
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
PRIVATE_KEY, PUBLIC_KEY = generate_key_pair()
ISSUER = TokenIssuer(load_private_key(PRIVATE_KEY), issuer="dimm")
EAA = "ntc_eaa_2025"  # TIO2 < 3, from PME up
ACCOUNT = f"acc_lease{uuid.uuid4().hex[:6]}"
#: organisation → (level of every indicator, size band): the EAA targets those at 1 or 2 from PME up.
ORGANISATIONS = {
    f"org_l{n}{uuid.uuid4().hex[:6]}": profile
    for n, profile in enumerate(
        [(1, "PME"), (2, "PME"), (1, "ETI"), (2, "GE"), (1, "PME"), (4, "PME"), (3, "ETI"), (1, "TPE")]
    )
}
TARGETED = {org for org, (level, size) in ORGANISATIONS.items() if level < 3 and size != "TPE"}


class Receiver(BaseHTTPRequestHandler):
    """Count every webhook message by its id, and accept it."""

    received: ClassVar[Counter[str]] = Counter()
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        with self.lock:
            self.received[self.headers.get("webhook-id", "")] += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class WatchReplicas:
    """Two watch processes sharing one database and one consumer group."""

    backend: Backend
    log_dir: Path
    database: str
    public_key: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def start(self, replica: str) -> None:
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.backend.kafka_bootstrap_servers,
            "MONGODB_URL": self.backend.mongodb_url,
            "DIMM_ENVIRONMENT": "test",
            "DIMM_JWT_PUBLIC_KEY": self.public_key,
            "DIMM_WATCH_MONGODB_DATABASE": self.database,
            "DIMM_WATCH_ADMIN_TOKEN": TOKEN,
            "DIMM_WATCH_RELAY_LEASE_SECONDS": str(LEASE_SECONDS),
            "DIMM_WATCH_WORK_INTERVAL_SECONDS": "0.5",
            "DIMM_WATCH_WEBHOOK_ALLOW_HOSTS": '["127.0.0.1"]',
            "DIMM_WATCH_WEBHOOK_RETRY_COMPRESS": "1000",
        }
        self.ports[replica] = free_port()
        log = open(self.log_dir / f"{replica}.log", "ab")  # noqa: SIM115 - kept open for the child
        self.processes[replica] = start_service("watch", port=self.ports[replica], env=env, log=log)

    def url(self, replica: str) -> str:
        return f"http://127.0.0.1:{self.ports[replica]}"

    def replica_of(self, owner: str) -> str:
        """Name the replica whose process a lease owner ("host:pid") is."""
        pid = int(owner.rsplit(":", 1)[1])
        return next(name for name, process in self.processes.items() if process.pid == pid)


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[WatchReplicas]:
    with embedded_backend() as backend:
        running = WatchReplicas(backend, tmp_path, f"e2e_{uuid.uuid4().hex[:8]}_watch", PUBLIC_KEY)
        try:
            for replica in REPLICAS:
                running.start(replica)
            for replica in REPLICAS:
                wait_ready(running.url(replica), "watch", process=running.processes[replica])
            yield running
        finally:
            stop_all(running.processes.values())


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = Counter()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def wait_until(check: Callable[[], bool], what: str, *, timeout: float, pause: float = 0.2) -> float:
    """Wait until `check()` holds; return the seconds it took."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"not within {timeout:.0f}s: {what}"
        time.sleep(pause)
    return time.monotonic() - started


def seed(backend: Backend) -> None:
    """Produce the model, a premium account, its organisations and their scored diagnostics."""
    now = datetime.now(UTC)
    model = ModelPublished.of(shipped_edition("2.0.0"), at=now)
    assessment: list[tuple[Event, str]] = [
        (model, "dimm"),
        (AccountOpened(account_id=ACCOUNT, plan="premium", opened_at=now), ACCOUNT),
    ]
    assessment += [(registered(o, account=ACCOUNT, size_band=s), o) for o, (_, s) in ORGANISATIONS.items()]
    scoring: list[tuple[Event, str]] = [
        (scored(o, level, account=ACCOUNT, size_band=s), o) for o, (level, s) in ORGANISATIONS.items()
    ]

    async def send() -> None:
        await produce(backend, events_topic("assessment"), assessment, client_id="e2e-assessment")
        await produce(backend, events_topic("scoring"), scoring, client_id="e2e-scoring")

    asyncio.run(send())


def lease_owner(db: Database[dict[str, object]]) -> str | None:
    """Return "host:pid" of the scheduler lease's holder, None while nobody holds it."""
    doc = db[LEASES_COLLECTION].find_one({"_id": SCHEDULER_LEASE})
    expires = doc and doc.get("expires_at")
    if not doc or not isinstance(expires, datetime) or expires.replace(tzinfo=UTC) <= datetime.now(UTC):
        return None
    owner = doc.get("owner")
    return owner if isinstance(owner, str) else None


class TestSchedulerLeaseTakeover:
    @pytest.mark.timeout(240)
    def test_the_survivor_takes_over_and_alerts_each_organisation_once(
        self, replicas: WatchReplicas, receiver: str, tmp_path: Path
    ) -> None:
        mongo: MongoClient[dict[str, object]] = MongoClient(replicas.backend.mongodb_url, tz_aware=True)
        db = mongo[replicas.database]
        try:
            holder = self._one_holder(replicas, db)
            survivor = next(r for r in REPLICAS if r != holder)
            seed(replicas.backend)
            wait_until(
                lambda: db["watched"].count_documents({}) == len(ORGANISATIONS),
                "every organisation's latest diagnostic indexed",
                timeout=90,
            )
            kill(replicas.processes[holder])
            took = wait_until(
                lambda: lease_owner(db) is not None and replicas.replica_of(str(lease_owner(db))) == survivor,
                "the survivor holds the lease",
                timeout=4 * LEASE_SECONDS,
            )
            # The dead holder's lease blocks for at most its duration, then the next attempt (a third of it).
            assert took <= LEASE_SECONDS * 4 / 3 + 1.0, took
            self._publish_and_count(replicas.url(survivor), db, receiver)
        finally:
            mongo.close()
        # Digests: a period's digest is staged under its key (subscriber × period) whichever replica
        # runs the daily job, and the integration test runs the job twice for one e-mail; a digest of
        # today's alerts only goes out tomorrow, beyond what this test can wait for.

    @staticmethod
    def _one_holder(replicas: WatchReplicas, db: Database[dict[str, object]]) -> str:
        """Show that exactly one of the two processes holds the lease, and keeps it while alive."""
        wait_until(lambda: lease_owner(db) is not None, "a replica holds the lease", timeout=30)
        holder = replicas.replica_of(str(lease_owner(db)))
        assert db[LEASES_COLLECTION].count_documents({"_id": SCHEDULER_LEASE}) == 1
        time.sleep(2 * LEASE_SECONDS)  # several renewals later, still the same one
        assert replicas.replica_of(str(lease_owner(db))) == holder
        return holder

    @staticmethod
    def _publish_and_count(url: str, db: Database[dict[str, object]], receiver: str) -> None:
        """Publish the EAA through the survivor; each targeted organisation is alerted and told once."""
        token = _owner_token()
        with httpx.Client(base_url=url, timeout=10) as http:
            endpoint = http.post("/watch/v1/webhooks/endpoints", json={"url": receiver}, headers=token)
            assert endpoint.status_code == 201, endpoint.text
            published = http.post(f"/watch/v1/ops/notices/{EAA}/publish", headers=OPERATOR)
            assert published.status_code == 200, published.text
        wait_until(lambda: sum(Receiver.received.values()) >= len(TARGETED), "webhooks received", timeout=60)
        time.sleep(3)  # several more rounds of the schedule: a duplicate would have come by now
        alerts = list(db["alerts"].find({"notice_id": EAA}, {"organisation_id": 1}))
        assert Counter(str(a["organisation_id"]) for a in alerts) == Counter(TARGETED)
        assert db["messages"].count_documents({}) == len(TARGETED)
        assert len(Receiver.received) == len(TARGETED)
        assert set(Receiver.received.values()) == {1}


def _owner_token() -> dict[str, str]:
    principal = Principal(ACCOUNT, frozenset(SCOPES), "premium", uuid.uuid4().hex)
    return {"Authorization": f"Bearer {ISSUER.issue(principal, ttl=timedelta(minutes=10))}"}
