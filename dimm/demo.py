"""`dimm demo`: a premium account, ~60 organisations with scored diagnostics, a benchmark, a study, alerts."""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from dimm.demo_benchmark import benchmark_demo
from dimm.demo_data import ORGANISATIONS as ORGANISATIONS
from dimm.demo_data import SEED, SHOWCASE, DemoOrganisation, Seeded, levels, lever_offsets
from dimm.demo_http import DemoError as DemoError
from dimm.demo_http import check as check
from dimm.demo_watch import WEBHOOKS_DIR, WatchLinks, receiving, watch_demo

V1 = "/assessment/v1"
DEMO_FILE = "demo.json"
#: Organisations seeded at once; each answers its own diagnostic in order, so they never collide.
#: Measured on 2 cores: 2 at once took 122 s, 6 took 43 s, 12 took 38 s, 20 no less.
CONCURRENCY = 10


def demo_state(data_dir: Path) -> Path:
    """Return where the demo remembers its account (absent: the demo was never created here)."""
    return data_dir / DEMO_FILE


def _remembered(data_dir: Path) -> dict[str, Any]:
    path = demo_state(data_dir)
    return dict(json.loads(path.read_text())) if path.exists() else {}


def _remember(data_dir: Path, **facts: Any) -> None:
    path = demo_state(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**_remembered(data_dir), **facts}))


def demo_complete(data_dir: Path) -> bool:
    """Tell whether a run of the demo went to its end here (an interrupted one is resumed)."""
    return bool(_remembered(data_dir).get("complete"))


async def _account(http: httpx.AsyncClient, operator: dict[str, str], data_dir: Path) -> str:
    account_id = _remembered(data_dir).get("account_id")
    if account_id and (await http.get(f"{V1}/accounts/{account_id}", headers=operator)).status_code == 200:
        return str(account_id)
    body = {"name": "Démo — Cabinet Numérique", "plan": "premium"}
    account = await check(await http.post(f"{V1}/accounts", json=body, headers=operator), "account")
    _remember(data_dir, account_id=account["account_id"], complete=False)
    return str(account["account_id"])


async def account_token(http: httpx.AsyncClient, operator: dict[str, str], account_id: str) -> str:
    """Give an account a new API key (operator) and exchange it for an access token."""
    key = await check(
        await http.post(f"{V1}/accounts/{account_id}/api-keys", json={"name": "demo"}, headers=operator),
        "api key",
    )
    token = await check(
        await http.post(
            f"{V1}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": key["client_id"],
                "client_secret": key["client_secret"],
            },
        ),
        "token",
    )
    return str(token["access_token"])


async def _answer(
    http: httpx.AsyncClient,
    auth: dict[str, str],
    diagnostic_id: str,
    who: tuple[str, str],
    given: dict[str, int],
) -> None:
    """Invite a respondent and give their answers, one after the other, as a person would."""
    name, role = who
    invited = await check(
        await http.post(
            f"{V1}/diagnostics/{diagnostic_id}/respondents", json={"name": name, "role": role}, headers=auth
        ),
        "invite",
    )
    token = {"Authorization": f"Bearer {invited['token']}"}
    answers = f"{V1}/diagnostics/{diagnostic_id}/respondents/{invited['respondent']['respondent_id']}/answers"
    for code, level in given.items():
        await check(await http.put(f"{answers}/{code}", json={"level": level}, headers=token), "answer")


async def _validate(
    http: httpx.AsyncClient, auth: dict[str, str], diagnostic_id: str, given: dict[str, int]
) -> None:
    """Set a validated level on every indicator, as the expert who audited the organisation."""
    for code, level in given.items():
        url = f"{V1}/diagnostics/{diagnostic_id}/validations/{code}"
        await check(await http.put(url, json={"level": level}, headers=auth), "validation")


async def _diagnostic(
    http: httpx.AsyncClient, auth: dict[str, str], organisation_id: str, demo: DemoOrganisation, *, index: int
) -> dict[str, Any]:
    """Open, answer and submit diagnostic number `index` of an organisation (0: a year old, if history)."""
    rng = random.Random(f"{SEED}:{demo.slug}:{index}")
    past = demo.history and index == 0
    opened = await http.post(
        f"{V1}/organisations/{organisation_id}/diagnostics", json={"scope": demo.scope}, headers=auth
    )
    diag = await check(opened, "open")
    diagnostic_id, offsets = diag["diagnostic_id"], lever_offsets(rng)
    maturity = demo.maturity - (0.7 if past else 0.0)
    given: dict[str, int] = {}
    for who in demo.respondents:
        given = levels(rng, maturity, offsets, diag["indicators"])
        await _answer(http, auth, diagnostic_id, who, given)
    if demo.expert:
        # The expert is a little stricter than the organisation's own reading.
        await _validate(
            http, auth, diagnostic_id, {c: max(0, v - rng.choice((0, 0, 1))) for c, v in given.items()}
        )
    year_ago = (datetime.now(UTC) - timedelta(days=365)).date().isoformat()
    body = {"assessed_on": year_ago} if past else None
    return await check(
        await http.post(f"{V1}/diagnostics/{diagnostic_id}/submit", json=body, headers=auth), "submit"
    )


async def _organisation(
    http: httpx.AsyncClient, auth: dict[str, str], demo: DemoOrganisation, organisation_id: str | None
) -> Seeded:
    """Bring one organisation to where the demo wants it: registered, with its submitted diagnostics."""
    created = organisation_id is None
    if organisation_id is None:
        org = await check(
            await http.post(f"{V1}/organisations", json=demo.body, headers=auth), "organisation"
        )
        organisation_id = str(org["organisation_id"])
    url = f"{V1}/organisations/{organisation_id}/diagnostics"
    listed = (await check(await http.get(url, headers=auth), "diagnostics"))["diagnostics"]
    for draft in (d for d in listed if d["status"] == "draft"):
        # Left by an interrupted run: its respondents' tokens are gone, so it is started again.
        await check(
            await http.post(f"{V1}/diagnostics/{draft['diagnostic_id']}/withdraw", headers=auth), "withdraw"
        )
    done = [d for d in listed if d["status"] in ("submitted", "scored")]
    for index in range(len(done), 2 if demo.history else 1):
        done.append(await _diagnostic(http, auth, organisation_id, demo, index=index))
        created = True
    latest = done[-1]
    return Seeded(demo, organisation_id, latest["diagnostic_id"], latest["model_version"], created)


async def _known(http: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, str]:
    """Return the account's organisations by name, every page of them."""
    known: dict[str, str] = {}
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = await check(
            await http.get(f"{V1}/organisations", params=params, headers=auth), "organisations"
        )
        known.update({o["name"]: o["organisation_id"] for o in page["items"]})
        cursor = page.get("next_cursor")
        if not cursor:
            return known


async def seed(
    http: httpx.AsyncClient, auth: dict[str, str], *, concurrency: int = CONCURRENCY
) -> list[Seeded]:
    """Register the demo's organisations and submit their diagnostics, a few organisations at a time."""
    known = await _known(http, auth)
    gate = asyncio.Semaphore(concurrency)

    async def one(demo: DemoOrganisation) -> Seeded:
        async with gate:
            return await _organisation(http, auth, demo, known.get(demo.name))

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(demo)) for demo in ORGANISATIONS]
    except ExceptionGroup as failed:
        # The first failure cancels the other organisations: it is the run's failure.
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


async def report_link(http: httpx.AsyncClient, auth: dict[str, str], diagnostic_id: str) -> str:
    """Ask assessment for a link that opens this diagnostic's report only (and expires)."""
    url = f"/assessment/v1/diagnostics/{diagnostic_id}/report-link"
    link = await check(await http.post(url, headers=auth), f"report link of {diagnostic_id}")
    return str(link["url"])


@dataclass(frozen=True)
class DemoLinks:
    """What a run of the demo hands out: a token, the pages to open, and whether it created anything."""

    token: str
    report: str
    study: str
    watch: WatchLinks
    created: bool
    seconds: float


async def run_demo(http: httpx.AsyncClient, operator_token: str, data_dir: Path) -> DemoLinks:
    """Seed the demo, or finish an interrupted seeding (idempotent); return a fresh token and the links."""
    started = time.monotonic()
    operator = {"Authorization": f"Bearer {operator_token}"}
    token = await account_token(http, operator, await _account(http, operator, data_dir))
    auth = {"Authorization": f"Bearer {token}"}
    seeded = await seed(http, auth)
    showcase = next(s for s in seeded if s.demo is SHOWCASE)
    created = any(s.created for s in seeded)
    study_id, study_moved = await benchmark_demo(http, operator, auth, seeded, changed=created)
    async with receiving(data_dir / WEBHOOKS_DIR):
        watch = await watch_demo(http, operator, auth=auth, seeded=seeded, data_dir=data_dir)
    _remember(data_dir, complete=True)
    return DemoLinks(
        token=token,
        report=await report_link(http, auth, showcase.diagnostic_id),
        study=f"/benchmark/v1/studies/{study_id}/results.html",
        watch=watch,
        created=created or study_moved or watch.created,
        seconds=time.monotonic() - started,
    )
