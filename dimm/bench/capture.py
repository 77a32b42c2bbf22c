"""`dimm bench capture`: concurrent respondents answering full diagnostics through the HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from dimm.bench.bus import percentile
from dimm.bench.limits import Rate, conditional_writes, verdict
from dimm.bench.stack import BenchTarget, bench_target
from dimm.demo import account_token, check
from dimm.embedded import free_port, start_service, wait_ready
from shared.auth import generate_key_pair

V1 = "/assessment/v1"
#: The share of the database's own rate the answers should reach at the same concurrency.
RATIO_GOAL = 0.5
ORGANISATION = {
    "sector": "commerce",
    "headcount": 120,
    "region": "occitanie",
    "organisation_type": "entreprise",
}


@dataclass(frozen=True)
class CaptureFigures:
    """What one concurrency level gave."""

    respondents: int
    answers: int
    answers_per_second: float
    p50_ms: float
    p99_ms: float
    submissions_per_second: float
    retried: int = 0


@contextmanager
def assessment_process(target: BenchTarget) -> Iterator[tuple[str, str]]:
    """Serve the assessment service as its own process; yield its URL and operator token."""
    operator = "bench-" + uuid.uuid4().hex
    private_key, _ = generate_key_pair()
    port = free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": target.kafka_bootstrap_servers,
        "MONGODB_URL": target.mongodb_url,
        "DIMM_ENVIRONMENT": "test",
        "DIMM_ASSESSMENT_ADMIN_TOKEN": operator,
        "DIMM_ASSESSMENT_JWT_PRIVATE_KEY": private_key,
        "DIMM_LOG_LEVEL": "WARNING",
        "DIMM_ASSESSMENT_MONGODB_DATABASE": f"bench_capture_{uuid.uuid4().hex[:8]}",
    }
    log_dir = Path(tempfile.gettempdir()) / "dimm-bench"
    log_dir.mkdir(exist_ok=True)
    with open(log_dir / "assessment.log", "ab") as log:
        process = start_service("assessment", port=port, env=env, log=log)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, "assessment", process=process, timeout=90)
            yield url, operator
        finally:
            process.terminate()
            process.wait(timeout=15)


async def _account_token(http: httpx.AsyncClient, operator: str) -> dict[str, str]:
    auth = {"Authorization": f"Bearer {operator}"}
    account = await check(await http.post(f"{V1}/accounts", json={"name": "Bench"}, headers=auth), "account")
    return {"Authorization": f"Bearer {await account_token(http, auth, account['account_id'])}"}


async def _prepare(
    http: httpx.AsyncClient, owner: dict[str, str], n: int
) -> list[tuple[str, str, list[str], dict[str, str]]]:
    """Open n full diagnostics, each with one invited respondent."""
    prepared = []
    for i in range(n):
        org = (
            await http.post(f"{V1}/organisations", json={**ORGANISATION, "name": f"Bench {i}"}, headers=owner)
        ).json()
        diag = (
            await http.post(
                f"{V1}/organisations/{org['organisation_id']}/diagnostics", json={}, headers=owner
            )
        ).json()
        invited = (
            await http.post(
                f"{V1}/diagnostics/{diag['diagnostic_id']}/respondents",
                json={"name": f"R{i}", "role": "direction"},
                headers=owner,
            )
        ).json()
        codes = [item["code"] for item in diag["indicators"]]
        prepared.append(
            (
                diag["diagnostic_id"],
                invited["respondent"]["respondent_id"],
                codes,
                {"Authorization": f"Bearer {invited['token']}"},
            )
        )
    return prepared


@dataclass
class Tally:
    """Latencies of the answers, and how many had to be sent again."""

    latencies: list[float]
    retries: int = 0


async def _put(
    http: httpx.AsyncClient, url: str, body: dict[str, object], auth: dict[str, str], tally: Tally
) -> httpx.Response:
    """PUT is idempotent: a connection the server closed under us is retried (and counted)."""
    for _ in range(2):
        try:
            return await http.put(url, json=body, headers=auth)
        except httpx.TransportError:
            tally.retries += 1
    return await http.put(url, json=body, headers=auth)


Browser = Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]]


async def _respond(
    browser: Browser, diag: str, resp: str, codes: list[str], auth: dict[str, str], tally: Tally
) -> None:
    async with browser() as http:
        for code in codes:
            started = time.perf_counter()
            url = f"{V1}/diagnostics/{diag}/respondents/{resp}/answers/{code}"
            body = {"level": random.randint(0, 5), "comment": "bench"}
            response = await _put(http, url, body, auth, tally)
            tally.latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"answer refused: {response.status_code} {response.text[:200]}")


def browsers(url: str) -> Browser:
    """Give each respondent a client of their own, one connection, as their browser would be."""
    return lambda: httpx.AsyncClient(base_url=url, timeout=120, limits=httpx.Limits(max_connections=1))


async def measure(
    http: httpx.AsyncClient, operator: str, respondents: int, *, browser: Browser | None = None
) -> CaptureFigures:
    """Answer `respondents` full diagnostics at once, then submit them all at once.

    Each respondent answers through a `browser` of their own (by default, `http` shared).
    """
    owner = await _account_token(http, operator)
    prepared = await _prepare(http, owner, respondents)
    tally = Tally(latencies=[])
    shared = browser or (lambda: contextlib.nullcontext(http))
    started = time.perf_counter()
    await asyncio.gather(*(_respond(shared, d, r, c, a, tally) for d, r, c, a in prepared))
    answering = time.perf_counter() - started
    started = time.perf_counter()
    results = await asyncio.gather(
        *(http.post(f"{V1}/diagnostics/{d}/submit", headers=owner) for d, *_ in prepared)
    )
    submitting = time.perf_counter() - started
    if any(r.status_code != 200 for r in results):
        raise RuntimeError("a submission was refused")
    values = [v * 1000 for v in tally.latencies]
    return CaptureFigures(
        respondents,
        len(values),
        len(values) / answering,
        percentile(values, 0.5),
        percentile(values, 0.99),
        respondents / submitting,
        tally.retries,
    )


def _print_level(f: CaptureFigures, raw: Rate, echo: Callable[[str], None]) -> None:
    echo(
        f"  {f.respondents:>4} respondents  {f.answers:>6} answers  {f.answers_per_second:8.1f} answers/s"
        f"  p50 {f.p50_ms:7.1f} ms  p99 {f.p99_ms:7.1f} ms  {f.submissions_per_second:7.1f} submissions/s"
        f"  ({f.retried} answers sent again after a dropped connection)"
    )
    echo(
        f"  {'':>4} database alone {raw.operations:>6} writes   {raw.per_second:8.1f} writes/s "
        f"  p50 {raw.p50_ms or 0:7.1f} ms  p99 {raw.p99_ms or 0:7.1f} ms  one conditional update per answer"
    )
    ratio = raw.ratio(f.answers_per_second)
    goal = f"goal ≥ {RATIO_GOAL:.2f}: {verdict(ratio >= RATIO_GOAL)}"
    echo(f"  {'':>4} ratio answers/database {ratio:.2f}  ({goal})")


async def measure_level(
    http: httpx.AsyncClient,
    target: BenchTarget,
    operator: str,
    respondents: int,
    echo: Callable[[str], None],
    *,
    browser: Browser | None = None,
) -> float:
    """Measure answers, then the database alone, at one concurrency; print both; return answers/s."""
    figures = await measure(http, operator, respondents, browser=browser)
    raw = await conditional_writes(
        target, clients=respondents, writes_per_client=figures.answers // respondents
    )
    _print_level(figures, raw, echo)
    return figures.answers_per_second


async def _run_all(
    url: str, target: BenchTarget, operator: str, levels: list[int], echo: Callable[[str], None]
) -> None:
    rates: dict[int, float] = {}
    for n in levels:
        limits = httpx.Limits(max_connections=n + 5)
        async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
            rates[n] = await measure_level(http, target, operator, n, echo, browser=browsers(url))
    if len(rates) > 1:
        low, high = sorted(rates)[-2:]
        echo(
            f"  answers/s at {high} respondents ≥ at {low}: {rates[high]:.1f} vs {rates[low]:.1f}"
            f" ({verdict(rates[high] >= rates[low])})"
        )


def run_capture_bench(*, levels: list[int], echo: Callable[[str], None]) -> None:
    """Run the capture benchmark at each concurrency level and print the figures."""
    with bench_target() as target, assessment_process(target) as (url, operator):
        echo(
            f"dimm bench capture: full DIMM diagnostics (PME, entreprise) answered over HTTP, one assessment "
            f"process, on {target.description}"
        )
        asyncio.run(_run_all(url, target, operator, levels, echo))
