"""`dimm bench soak`: mixed traffic for N minutes while faults are injected on a schedule.

The four services run as processes on an embedded Tansu and SecantusDB (on disk). Workers open
accounts, register organisations, answer and submit diagnostics and read them back, the whole
time. Faults come in turn: SIGKILL of each service (restarted 5 s later), a kill -9 of the
database and its restart, a restart of the broker (it comes back empty). At the end the run waits
for the platform to settle and prints: requests and their outcomes, 5xx inside and outside the
fault windows, diagnostics submitted (acknowledged) vs scored vs scored twice, the time each
fault took to recover (until a diagnostic submitted after it was scored), and with Prometheus
(`make monitoring`) the alerts each fault fired.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient

from dimm.bench.alerts import SERVICES, Platform, running_platform, wait_until_scraped
from dimm.demo import account_token
from dimm.embedded import EmbeddedStack, free_port, stop_process
from dimm.monitoring import find_tool, firing_alerts, running_prometheus
from shared.model.editions import SME_PROFILE

Echo = Callable[[str], None]
V1 = "/assessment/v1"
ORGANISATION = {
    "sector": "commerce",
    "headcount": 42,
    "region": "bretagne",
    "organisation_type": "entreprise",
}
FAULTS = ("kill-assessment", "kill-scoring", "kill-benchmark", "kill-watch", "database", "broker")
#: How long after a fault's end 5xx are still counted as inside its window (clients retrying).
GRACE_SECONDS = 5.0


@dataclass
class FaultWindow:
    """When a fault started and ended, and how the platform came back."""

    name: str
    started: float
    ended: float = 0.0
    recovered_seconds: float | None = None
    alerts: set[str] = field(default_factory=set)


@dataclass
class Traffic:
    """What the workers did."""

    requests: Counter[str] = field(default_factory=Counter)
    errors_at: list[float] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)


async def _call(
    traffic: Traffic, http: httpx.AsyncClient, method: str, url: str, **kwargs: Any
) -> httpx.Response | None:
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.HTTPError:
        traffic.requests["unreachable"] += 1
        await asyncio.sleep(0.2)  # a service being restarted: do not spin on refused connections
        return None
    traffic.requests[f"{response.status_code // 100}xx"] += 1
    if response.status_code >= 500:
        traffic.errors_at.append(time.monotonic())
    return response


async def _one_diagnostic(traffic: Traffic, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Register an organisation, answer the SME profile, submit, read back."""
    created = await _call(
        traffic, http, "POST", f"{V1}/organisations", json={**ORGANISATION, "name": "Soak"}, headers=headers
    )
    if created is None or created.status_code != 201:
        return
    org = created.json()["organisation_id"]
    opened = await _call(
        traffic,
        http,
        "POST",
        f"{V1}/organisations/{org}/diagnostics",
        json={"scope": "pme-10-priorites"},
        headers=headers,
    )
    if opened is None or opened.status_code != 201:
        return
    diag = opened.json()["diagnostic_id"]
    invited = await _call(
        traffic,
        http,
        "POST",
        f"{V1}/diagnostics/{diag}/respondents",
        json={"name": "Claire", "role": "direction"},
        headers=headers,
    )
    if invited is None or invited.status_code != 201:
        return
    respondent = invited.json()["respondent"]["respondent_id"]
    for code in SME_PROFILE:
        url = f"{V1}/diagnostics/{diag}/respondents/{respondent}/answers/{code}"
        answered = await _call(
            traffic, http, "PUT", url, json={"level": random.randint(1, 5)}, headers=headers
        )
        if answered is None or answered.status_code != 200:
            return
    submitted = await _call(traffic, http, "POST", f"{V1}/diagnostics/{diag}/submit", headers=headers)
    if submitted is not None and submitted.status_code == 200:
        traffic.acknowledged.append(diag)
    await _call(traffic, http, "GET", f"{V1}/diagnostics/{diag}", headers=headers)


async def _open_account(
    traffic: Traffic, http: httpx.AsyncClient, operator: dict[str, str], plan: str
) -> dict[str, str] | None:
    """Open an account and return its bearer header (None when the platform did not answer)."""
    account = await _call(
        traffic, http, "POST", f"{V1}/accounts", json={"name": "Soak", "plan": plan}, headers=operator
    )
    if account is None or account.status_code != 201:
        return None
    try:
        token = await account_token(http, operator, str(account.json()["account_id"]))
    except Exception:
        traffic.requests["unreachable"] += 1
        return None
    return {"Authorization": f"Bearer {token}"}


async def _worker(traffic: Traffic, url: str, operator: dict[str, str], stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        headers: dict[str, str] | None = None
        while not stop.is_set():
            if headers is None:
                headers = await _open_account(traffic, http, operator, "premium")
                if headers is None:
                    await asyncio.sleep(1)
                    continue
            await _one_diagnostic(traffic, http, headers)


async def _inject(fault: str, platform: Platform, stack: EmbeddedStack) -> None:
    """Break one thing and put it back (the service restarted, the server started again).

    Children are started from this (the main) thread: the embedded servers get a SIGTERM when the
    thread that started them ends, so never from a worker thread.
    """
    if fault.startswith("kill-"):
        service = fault.removeprefix("kill-")
        platform.kill(service)
        await asyncio.sleep(5)
        platform.start(service)
    elif fault == "database":
        process = stack.processes.pop("secantus")
        process.kill()
        process.wait(timeout=10)
        await asyncio.sleep(3)
        stack.start_mongo()
    elif fault == "broker":
        stop_process(stack.processes.pop("tansu"))
        await asyncio.sleep(3)
        stack.start_kafka()


def _scored_counts(stack: EmbeddedStack, acknowledged: list[str]) -> tuple[int, int, int]:
    """Return (diagnostics scored in assessment, with a scorecard, scored more than once).

    Scoring more than once would stage a second scored event: its outbox keeps every event it
    published for days, so two `diagnostic.scored` rows of one diagnostic would show it.
    """
    client: MongoClient[dict[str, Any]] = MongoClient(stack.mongodb_url)
    try:
        assessment = client[Platform.database("assessment")]["diagnostics"]
        scored = assessment.count_documents({"_id": {"$in": acknowledged}, "status": "scored"})
        scoring = client[Platform.database("scoring")]
        with_card = len(scoring["scorecards"].distinct("_id", {"_id": {"$in": acknowledged}}))
        pipeline: list[dict[str, Any]] = [
            {
                "$match": {
                    "type": "dimm.scoring.diagnostic.scored.v1",
                    "data.diagnostic_id": {"$in": acknowledged},
                }
            },
            {"$group": {"_id": "$data.diagnostic_id", "n": {"$sum": 1}}},
            {"$match": {"n": {"$gt": 1}}},
        ]
        twice = len(list(scoring["outbox"].aggregate(pipeline)))
        return scored, with_card, twice
    finally:
        client.close()


async def _scored_in_time(
    http: httpx.AsyncClient, headers: dict[str, str], diag: str, deadline: float
) -> bool:
    """Wait until a diagnostic is scored, or the deadline passes."""
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
            answer = await http.get(f"{V1}/diagnostics/{diag}", headers=headers)
            if answer.json()["status"] == "scored":
                return True
        await asyncio.sleep(1)
    return False


async def _recovery(url: str, operator: dict[str, str], started: float, timeout: float) -> float | None:
    """Seconds from `started` until a diagnostic submitted now is scored (None if never)."""
    traffic = Traffic()
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        while time.monotonic() < deadline:
            headers = await _open_account(traffic, http, operator, "free")
            if headers is not None:
                await _one_diagnostic(traffic, http, headers)
            if headers is not None and traffic.acknowledged:
                if await _scored_in_time(http, headers, traffic.acknowledged[-1], deadline):
                    return time.monotonic() - started
                return None
            await asyncio.sleep(1)
    return None


@contextlib.contextmanager
def _optional_prometheus(work: Path, platform: Platform) -> Iterator[str | None]:
    if find_tool("prometheus") is None:
        yield None
        return
    with running_prometheus(
        work / "prometheus", platform.targets(), port=free_port(), scrape_interval_seconds=5
    ) as url:
        wait_until_scraped(url, len(SERVICES), timeout=60)
        yield url


def run_soak(*, minutes: float, workers: int, echo: Echo) -> dict[str, Any]:
    """Drive traffic for `minutes`, inject every fault in turn, and print what happened."""
    echo(f"dimm bench soak — {minutes:g} min of traffic ({workers} workers), faults: {', '.join(FAULTS)}")
    with (
        running_platform("soak", scrape_seconds=5.0) as platform,
        _optional_prometheus(platform.work, platform) as prometheus,
    ):
        result = asyncio.run(
            _soak(platform, platform.stack, prometheus, minutes=minutes, workers=workers, echo=echo)
        )
    return result


async def _soak(
    platform: Platform,
    stack: EmbeddedStack,
    prometheus: str | None,
    *,
    minutes: float,
    workers: int,
    echo: Echo,
) -> dict[str, Any]:
    url = f"http://127.0.0.1:{platform.ports['assessment']}"
    operator = {"Authorization": f"Bearer {platform.token}"}
    traffic, stop = Traffic(), asyncio.Event()
    tasks = [asyncio.create_task(_worker(traffic, url, operator, stop)) for _ in range(workers)]
    started = time.monotonic()
    duration = minutes * 60
    spacing = duration / (len(FAULTS) + 1)
    windows: list[FaultWindow] = []
    for n, fault in enumerate(FAULTS, start=1):
        await asyncio.sleep(max(0.0, started + n * spacing - time.monotonic()))
        window = FaultWindow(fault, time.monotonic())
        before = {a["labels"]["alertname"] for a in firing_alerts(prometheus)} if prometheus else set()
        echo(f"  {time.monotonic() - started:6.0f} s  {fault}")
        await _inject(fault, platform, stack)
        if fault.startswith("kill-"):
            await asyncio.to_thread(platform.wait_ready, fault.removeprefix("kill-"))
        window.ended = time.monotonic()
        window.recovered_seconds = await _recovery(url, operator, window.started, timeout=max(60.0, spacing))
        if prometheus:
            with contextlib.suppress(Exception):
                window.alerts = {a["labels"]["alertname"] for a in firing_alerts(prometheus)} - before
        windows.append(window)
    await asyncio.sleep(max(0.0, started + duration - time.monotonic()))
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    # Let the platform settle: every acknowledged submission should end scored, without help.
    deadline = time.monotonic() + 300
    scored = with_card = twice = 0
    while time.monotonic() < deadline:
        scored, with_card, twice = _scored_counts(stack, traffic.acknowledged)
        if scored == len(traffic.acknowledged):
            break
        await asyncio.sleep(5)
    inside = [
        at for at in traffic.errors_at if any(w.started <= at <= w.ended + GRACE_SECONDS for w in windows)
    ]
    outside = len(traffic.errors_at) - len(inside)
    echo(f"  requests: {dict(sorted(traffic.requests.items()))}")
    echo(f"  5xx inside fault windows {len(inside)}, outside {outside}")
    echo(
        f"  diagnostics submitted (acknowledged) {len(traffic.acknowledged)}, scored {scored}, "
        f"with a scorecard {with_card}, scored twice {twice}, "
        f"left unscored {len(traffic.acknowledged) - scored}"
    )
    for window in windows:
        recovered = (
            f"{window.recovered_seconds:.1f} s" if window.recovered_seconds is not None else "NOT recovered"
        )
        alerts = ", ".join(sorted(window.alerts)) or ("—" if prometheus else "(no Prometheus)")
        echo(
            f"  {window.name:<16} fault {window.ended - window.started:5.1f} s, "
            f"recovered after {recovered}; alerts: {alerts}"
        )
    goals = {
        "lost": len(traffic.acknowledged) - with_card,
        "doubled": twice,
        "unscored": len(traffic.acknowledged) - scored,
        "5xx_outside": outside,
    }
    met = all(value == 0 for value in goals.values())
    echo(
        "  goal (0 lost, 0 doubled, 0 unscored, 5xx only in fault windows): "
        f"{'met' if met else 'NOT met'} {goals}"
    )
    return {"goals": goals, "windows": windows, "acknowledged": len(traffic.acknowledged)}
