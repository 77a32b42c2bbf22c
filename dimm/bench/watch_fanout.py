"""Webhook fan-out: a notice published to the running watch service, delivered to a local receiver."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
from fastapi import FastAPI

from dimm.bench.benchmark_seed import entry_of, registered_event, scored_event
from dimm.bench.benchmark_stats import realistic_population
from dimm.bench.produce import produce
from dimm.bench.stack import BenchTarget
from services.watch.app import create_app
from services.watch.domain.catalogue import notice_of
from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.settings import WatchSettings
from shared.auth import SCOPES, Principal, TokenIssuer, generate_key_pair, load_private_key
from shared.events.contracts.assessment import AccountOpened
from shared.events.contracts.catalogue import ModelPublished
from shared.events.envelope import Event
from shared.messaging.topics import events_topic
from shared.model.editions import shipped_edition

PATIENCE_SECONDS = 900.0
SETTLE_SECONDS = 2.0
"""How long the receiver keeps listening after the last expected message, for duplicates."""
W1 = "/watch/v1"


def _notice(run: str) -> dict[str, object]:
    """Return the notice published: the accessibility rule, every organisation type and size."""
    return {
        "id": f"ntc_bench_{run}",
        "kind": "regulatory",
        "severity": "critical",
        "title_fr": "Banc d'essai : accessibilité numérique (TIO2 < 3)",
        "summary_fr": "Les organisations dont l'accessibilité (TIO2) reste sous le niveau 3 sont concernées.",
        "source_url": "https://eur-lex.europa.eu/eli/dir/2019/882/oj",
        "indicators": ["TIO2"],
        "rule": "TIO2 < 3",
    }


@dataclass
class Receiver:
    """An HTTP receiver on 127.0.0.1 that answers 204 and records when each message arrives."""

    port: int = 0
    arrivals: dict[str, list[float]] = field(default_factory=dict)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer every request of a connection (keep-alive or not) with 204."""
        try:
            while await reader.readline():
                headers: dict[str, str] = {}
                while (line := (await reader.readline()).decode().strip()) != "":
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
                await reader.readexactly(int(headers.get("content-length", "0")))
                self.arrivals.setdefault(headers.get("webhook-id", ""), []).append(time.perf_counter())
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@dataclass(frozen=True)
class Fanout:
    """What one published notice gave: messages received, their times from the publish call."""

    organisations: int
    index_seconds: float
    """From the first produced event until the service had indexed every organisation (untimed figure)."""
    received: int
    duplicates: int
    first_seconds: float
    last_seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        """Return deliveries per second from the publish call to the last message."""
        return self.received / self.last_seconds

    @property
    def delivery_rate(self) -> float:
        """Return deliveries per second between the first and the last message."""
        return (self.received - 1) / max(self.last_seconds - self.first_seconds, 1e-9)


Seed = tuple[list[tuple[Event, str]], list[tuple[Event, str]]]


def _events(run: str, account: str, count: int) -> Seed:
    """Return the account's opening and registrations, and scored diagnostics the notice targets."""
    notice = notice_of(_notice(run))
    population, _ = realistic_population(count * 4, seed=13)
    tio2 = [place.indicator.code for place in shipped_edition("2.0.0").places()].index("TIO2")
    now = datetime.now(UTC)
    opened: list[tuple[Event, str]] = [
        (AccountOpened(account_id=account, plan="premium", opened_at=now), account)
    ]
    scored: list[tuple[Event, str]] = []
    for row in np.flatnonzero((population.levels[:, tio2] >= 0) & (population.levels[:, tio2] < 3)).tolist():
        entry = dataclasses.replace(
            entry_of(population, row, run=run), organisation_id=f"org_{run}_{row:06d}", account_id=account
        )
        event = scored_event(entry)
        if notice.targets(WatchedDiagnostic.of(event)):
            opened.append((registered_event(entry), entry.organisation_id))
            scored.append((event, entry.organisation_id))
        if len(scored) == count:
            return opened, scored
    raise RuntimeError(f"the random population gave fewer than {count} targeted organisations")


async def _produce(target: BenchTarget, service: str, events: list[tuple[Event, str]]) -> None:
    """Send events to a service's topic as that service's relay would, pipelined."""
    await produce(
        target.kafka_bootstrap_servers,
        events_topic(service),
        events,
        service=service,
        client_id="dimm-bench-watch",
    )


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait until a check holds, polling, or fail after the patience."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {PATIENCE_SECONDS:.0f} s")
        await asyncio.sleep(0.05)


async def _seed(target: BenchTarget, app: FastAPI, events: Seed, *, count: int) -> float:
    """Produce the model, the account, its organisations and diagnostics; return seconds until indexed."""
    opened, scored = events
    watched = app.state.deps.runtime.db["watched"]
    started = time.perf_counter()
    model = ModelPublished.of(shipped_edition("2.0.0"), at=datetime.now(UTC))
    await _produce(target, "assessment", [(model, "dimm"), *opened])
    await _produce(target, "scoring", scored)

    async def indexed() -> bool:
        found: int = await watched.count_documents({})
        return found >= count

    await _until(indexed, f"indexing {count:,} diagnostics")
    return time.perf_counter() - started


def _settings(target: BenchTarget, *, run: str, public_key: str, admin_token: str) -> WatchSettings:
    return WatchSettings(
        environment="test",
        kafka_bootstrap_servers=target.kafka_bootstrap_servers,
        mongodb_url=target.mongodb_url,
        mongodb_database=f"bench_watch_{run}",
        jwt_public_key=public_key,
        admin_token=admin_token,
        load_catalogue=False,
        webhook_allow_hosts=("127.0.0.1",),
        work_interval_seconds=0.2,
    )


async def _publish(
    http: httpx.AsyncClient, *, run: str, account_token: str, admin_token: str, port: int
) -> float:
    """Register the account's endpoint, write the notice, publish it; return when the publish call began."""
    owner, operator = {"Authorization": f"Bearer {account_token}"}, {"Authorization": f"Bearer {admin_token}"}
    answer = await http.post(
        f"{W1}/webhooks/endpoints", json={"url": f"http://127.0.0.1:{port}/hook"}, headers=owner
    )
    answer.raise_for_status()
    notice = _notice(run)
    (await http.post(f"{W1}/ops/notices", json=notice, headers=operator)).raise_for_status()
    started = time.perf_counter()
    (await http.post(f"{W1}/ops/notices/{notice['id']}/publish", headers=operator)).raise_for_status()
    return started


def _figures(receiver: Receiver, *, organisations: int, index_seconds: float, published: float) -> Fanout:
    first = np.array(sorted(min(times) for times in receiver.arrivals.values())) - published
    return Fanout(
        organisations=organisations,
        index_seconds=index_seconds,
        received=len(receiver.arrivals),
        duplicates=sum(len(times) - 1 for times in receiver.arrivals.values()),
        first_seconds=float(first[0]),
        last_seconds=float(first[-1]),
        p50_ms=float(np.percentile(first, 50)) * 1000,
        p99_ms=float(np.percentile(first, 99)) * 1000,
    )


async def measure_fanout(target: BenchTarget, organisations: int) -> Fanout:
    """Publish a notice targeting `organisations` of one premium account; time the webhooks received."""
    run, account = uuid.uuid4().hex[:8], f"acc_bench_{uuid.uuid4().hex[:8]}"
    private_key, public_key = generate_key_pair()
    admin_token = secrets.token_urlsafe(32)
    principal = Principal(account, frozenset(SCOPES), "premium", uuid.uuid4().hex)
    issuer = TokenIssuer(load_private_key(private_key), issuer="dimm")
    account_token = issuer.issue(principal, ttl=timedelta(hours=2))
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    # Made before the service starts: scoring them would block its event loop (and its leases).
    events = _events(run, account, organisations)
    settings = _settings(target, run=run, public_key=public_key, admin_token=admin_token)
    app = create_app(settings)
    async with server, app.router.lifespan_context(app), _client(app) as http:
        try:
            index_seconds = await _seed(target, app, events, count=organisations)
            published = await _publish(
                http, run=run, account_token=account_token, admin_token=admin_token, port=receiver.port
            )
            await _until(_received(receiver, organisations), f"{organisations:,} webhook deliveries")
            await asyncio.sleep(SETTLE_SECONDS)
        finally:
            await app.state.deps.runtime.client.drop_database(settings.mongodb_database)
    return _figures(receiver, organisations=organisations, index_seconds=index_seconds, published=published)


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=60)


def _received(receiver: Receiver, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(receiver.arrivals) >= count

    return check
