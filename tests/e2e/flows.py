"""Flows the end-to-end tests drive over HTTP against service processes, and what they read back."""

from __future__ import annotations

import json
from collections import defaultdict

import httpx
from kafka import KafkaConsumer

from shared.model.editions import SME_PROFILE
from tests.e2e.processes import TOKEN

V1 = "/assessment/v1"
ORGANISATION = {
    "name": "Boulangerie Martin",
    "sector": "commerce",
    "headcount": 42,
    "region": "bretagne",
    "organisation_type": "entreprise",
    "siren": "732829320",
}


async def tenant_headers(http: httpx.AsyncClient) -> dict[str, str]:
    """Open an account (operator), give it a key, exchange the key for a token: its bearer header."""
    operator = {"Authorization": f"Bearer {TOKEN}"}
    account = await http.post(f"{V1}/accounts", json={"name": "Cabinet", "plan": "free"}, headers=operator)
    assert account.status_code == 201, account.text
    key = await http.post(
        f"{V1}/accounts/{account.json()['account_id']}/api-keys", json={"name": "e2e"}, headers=operator
    )
    assert key.status_code == 201, key.text
    token = await http.post(
        f"{V1}/oauth/token",
        data={
            "grant_type": "client_credentials",
            **{k: key.json()[k] for k in ("client_id", "client_secret")},
        },
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def organisation(http: httpx.AsyncClient, auth: dict[str, str]) -> str:
    """Register an organisation; return its id."""
    registered = await http.post(f"{V1}/organisations", json=ORGANISATION, headers=auth)
    assert registered.status_code == 201, registered.text
    return str(registered.json()["organisation_id"])


async def answered_draft(http: httpx.AsyncClient, auth: dict[str, str], organisation_id: str) -> str:
    """Open a quick diagnostic and answer every indicator of the SME profile: ready to submit."""
    created = await http.post(
        f"{V1}/organisations/{organisation_id}/diagnostics", json={"scope": "pme-10-priorites"}, headers=auth
    )
    diagnostic: str = created.json()["diagnostic_id"]
    invited = await http.post(
        f"{V1}/diagnostics/{diagnostic}/respondents",
        json={"name": "Claire", "role": "direction"},
        headers=auth,
    )
    respondent = invited.json()["respondent"]["respondent_id"]
    for code in SME_PROFILE:
        url = f"{V1}/diagnostics/{diagnostic}/respondents/{respondent}/answers/{code}"
        assert (await http.put(url, json={"level": 3}, headers=auth)).status_code == 200
    return diagnostic


def distinct_ids_per_diagnostic(bootstrap_servers: str, topic: str, event_type: str) -> dict[str, set[str]]:
    """Read a topic from the start: the CloudEvents ids of one type, by diagnostic."""
    reader = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
    )
    ids: dict[str, set[str]] = defaultdict(set)
    try:
        for record in reader:
            headers = {k: v.decode() for k, v in record.headers}
            if headers.get("ce_type") == event_type:
                ids[json.loads(record.value)["diagnostic_id"]].add(headers["ce_id"])
    finally:
        reader.close()
    return ids
