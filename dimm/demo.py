"""`dimm demo`: a demo account with organisations and realistic scored diagnostics, for a first look."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

V1 = "/assessment/v1"
DEMO_FILE = "demo.json"


@dataclass(frozen=True)
class DemoOrganisation:
    """An organisation of the demo, how mature it is, and who answers for it."""

    slug: str
    body: dict[str, Any]
    maturity: float
    respondents: tuple[tuple[str, str], ...]
    history: bool = False


ORGANISATIONS = (
    DemoOrganisation(
        "boulangerie",
        {
            "name": "Boulangerie Martin",
            "sector": "commerce",
            "headcount": 18,
            "region": "bretagne",
            "organisation_type": "entreprise",
        },
        1.6,
        (("Claire Martin", "direction"),),
        history=True,
    ),
    DemoOrganisation(
        "banque",
        {
            "name": "Banque du Littoral",
            "sector": "banque",
            "headcount": 6200,
            "region": "ile-de-france",
            "organisation_type": "entreprise",
        },
        3.3,
        (("Sophie Laurent", "direction"), ("Karim Benali", "marketing"), ("Julie Morel", "DSI")),
    ),
    DemoOrganisation(
        "bailleur",
        {
            "name": "Habitat Sud Atlantique",
            "sector": "logement-social",
            "headcount": 420,
            "region": "nouvelle-aquitaine",
            "organisation_type": "entreprise",
        },
        2.2,
        (("Marc Petit", "direction"), ("Nadia Roux", "RH")),
    ),
    DemoOrganisation(
        "clinique",
        {
            "name": "Clinique des Tilleuls",
            "sector": "sante",
            "headcount": 310,
            "region": "occitanie",
            "organisation_type": "association",
        },
        2.6,
        (("Paul Girard", "direction"),),
    ),
)


def demo_state(data_dir: Path) -> Path:
    """Return where the demo remembers its account (absent: the demo was never created here)."""
    return data_dir / DEMO_FILE


class DemoError(RuntimeError):
    """The demo could not be set up."""


def _level(rng: random.Random, maturity: float, lever_bias: float) -> int:
    return max(0, min(5, round(rng.gauss(maturity + lever_bias, 0.9))))


async def check(response: httpx.Response, what: str) -> dict[str, Any]:
    """Return a response's JSON body, or raise DemoError naming the step that failed."""
    if response.status_code >= 400:
        raise DemoError(f"{what}: {response.status_code} {response.text[:300]}")
    return dict(response.json()) if response.content else {}


async def _diagnostic(
    http: httpx.AsyncClient,
    auth: dict[str, str],
    org_id: str,
    demo: DemoOrganisation,
    *,
    rng: random.Random,
    maturity: float,
    assessed_on: str | None,
) -> str:
    diag = await check(
        await http.post(f"{V1}/organisations/{org_id}/diagnostics", json={}, headers=auth), "open"
    )
    biases = {lever: rng.uniform(-0.8, 0.8) for lever in ("S", "OR", "PE", "OF", "TI", "E")}
    for name, role in demo.respondents:
        invited = await check(
            await http.post(
                f"{V1}/diagnostics/{diag['diagnostic_id']}/respondents",
                json={"name": name, "role": role},
                headers=auth,
            ),
            "invite",
        )
        token = {"Authorization": f"Bearer {invited['token']}"}
        resp = invited["respondent"]["respondent_id"]
        for item in diag["indicators"]:
            body = {"level": _level(rng, maturity, biases[item["lever"]])}
            url = f"{V1}/diagnostics/{diag['diagnostic_id']}/respondents/{resp}/answers/{item['code']}"
            await check(await http.put(url, json=body, headers=token), "answer")
    submit_body = {"assessed_on": assessed_on} if assessed_on else None
    await check(
        await http.post(f"{V1}/diagnostics/{diag['diagnostic_id']}/submit", json=submit_body, headers=auth),
        "submit",
    )
    return str(diag["diagnostic_id"])


def _remembered_account(state_path: Path) -> str | None:
    return str(json.loads(state_path.read_text())["account_id"]) if state_path.exists() else None


def _remember_account(state_path: Path, account_id: str) -> None:
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state_path.write_text(json.dumps({"account_id": account_id}))


async def _account(http: httpx.AsyncClient, operator: dict[str, str], state_path: Path) -> tuple[str, bool]:
    account_id = _remembered_account(state_path)
    if account_id and (await http.get(f"{V1}/accounts/{account_id}", headers=operator)).status_code == 200:
        return account_id, False
    body = {"name": "Démo — Cabinet Numérique", "plan": "premium"}
    account = await check(await http.post(f"{V1}/accounts", json=body, headers=operator), "account")
    _remember_account(state_path, str(account["account_id"]))
    return str(account["account_id"]), True


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


async def _wait_scored(http: httpx.AsyncClient, auth: dict[str, str], diagnostic_id: str) -> None:
    for _ in range(300):
        if (
            await http.get(f"/scoring/v1/diagnostics/{diagnostic_id}/scorecard", headers=auth)
        ).status_code == 200:
            return
        await asyncio.sleep(0.1)
    raise DemoError(f"diagnostic {diagnostic_id} was not scored within 30 s")


async def _seed(http: httpx.AsyncClient, auth: dict[str, str]) -> str:
    """Create the organisations and their diagnostics; return the diagnostic whose report to open."""
    last = ""
    for index, demo in enumerate(ORGANISATIONS):
        rng = random.Random(index)
        org = await check(
            await http.post(f"{V1}/organisations", json=demo.body, headers=auth), "organisation"
        )
        if demo.history:
            year_ago = (datetime.now(UTC) - timedelta(days=365)).date().isoformat()
            await _diagnostic(
                http,
                auth,
                org["organisation_id"],
                demo,
                rng=rng,
                maturity=demo.maturity - 0.7,
                assessed_on=year_ago,
            )
        diagnostic = await _diagnostic(
            http, auth, org["organisation_id"], demo, rng=rng, maturity=demo.maturity, assessed_on=None
        )
        last = last or diagnostic
    return last


async def run_demo(http: httpx.AsyncClient, operator_token: str, data_dir: Path) -> tuple[str, str, bool]:
    """Seed the demo once (idempotent); return a fresh token, the report path, and whether it was created."""
    operator = {"Authorization": f"Bearer {operator_token}"}
    account_id, _ = await _account(http, operator, demo_state(data_dir))
    token = await account_token(http, operator, account_id)
    auth = {"Authorization": f"Bearer {token}"}
    organisations = (await check(await http.get(f"{V1}/organisations", headers=auth), "list"))["items"]
    if organisations:
        showcase = next(
            (o for o in organisations if o["name"] == ORGANISATIONS[0].body["name"]), organisations[0]
        )
        listed = await check(
            await http.get(f"{V1}/organisations/{showcase['organisation_id']}/diagnostics", headers=auth),
            "diagnostics",
        )
        report_for, created = listed["diagnostics"][-1]["diagnostic_id"], False
    else:
        report_for, created = await _seed(http, auth), True
    await _wait_scored(http, auth, report_for)
    return token, f"/scoring/v1/diagnostics/{report_for}/report?access_token={token}", created
