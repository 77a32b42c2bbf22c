"""Partners on the real stack: consented events on signed webhooks, a pull feed and a topic of their own.

Two partners, three organisations with different grants: each partner receives exactly the events
of the organisations that granted it, on every feed, with the same ids; a revocation, an expiry and
an erasure stop later events; a partner's token is refused everywhere but on its own feed.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.watch.app import create_app
from services.watch.settings import WatchSettings
from shared.events.contracts.partner import PartnerDiagnosticScored, partner_topic
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed
from shared.events.envelope import Event
from shared.messaging.topics import events_topic
from tests.integration.bus import eventually, produce
from tests.integration.conftest import AUTH, ORGANISATION, PUBLIC_KEY, TOKEN, Tenant, new_tenant
from tests.integration.receiver import Receiver
from tests.stack import Backend
from tests.unit.benchmark.events import scored
from tests.wire import Documented, asyncapi, message_named

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
RUN = uuid.uuid4().hex[:6]
A1 = "/assessment/v1"
P1 = "/watch/partners/v1"
#: Routes that take no token (a partner's is as welcome as nobody's).
_PUBLIC = ("/healthz", "/readyz", "/metrics", "/oauth/token", "/jwks.json", "/asyncapi.json")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def watch(backend: Backend, app: FastAPI) -> AsyncIterator[FastAPI]:
    settings = WatchSettings(
        environment="test",
        kafka_bootstrap_servers=backend.kafka_bootstrap_servers,
        mongodb_url=backend.mongodb_url,
        mongodb_database=f"watch_partners_{RUN}",
        jwt_public_key=PUBLIC_KEY,
        admin_token=TOKEN,
        webhook_allow_hosts=("127.0.0.1",),
        webhook_retry_compress=1000.0,
        work_interval_seconds=0.2,
        load_catalogue=False,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def clients(app: FastAPI, watch: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as assessment,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=watch), base_url="http://test") as watching,
    ):
        yield assessment, watching


class Partner:
    """A partner as it holds itself: its id, a token, its endpoint's secret."""

    def __init__(self, partner_id: str, token: str) -> None:
        self.partner_id = partner_id
        self.headers = {"Authorization": f"Bearer {token}"}
        self.secret = ""


async def _partner(http: httpx.AsyncClient, name: str, kinds: list[str]) -> Partner:
    created = await http.post(f"{A1}/partners", json={"name": name, "event_kinds": kinds}, headers=AUTH)
    assert created.status_code == 201, created.text
    partner_id = created.json()["partner_id"]
    key = await http.post(f"{A1}/partners/{partner_id}/api-keys", json={"name": "feed"}, headers=AUTH)
    assert key.status_code == 201, key.text
    token = await http.post(
        f"{A1}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(key.json()["client_id"], key.json()["client_secret"]),
    )
    assert token.status_code == 200, token.text
    return Partner(partner_id, token.json()["access_token"])


async def _organisation(tenant: Tenant, name: str) -> str:
    created = await tenant.call("POST", f"{A1}/organisations", json={**ORGANISATION, "name": name})
    assert created.status_code == 201, created.text
    return str(created.json()["organisation_id"])


async def _grant(tenant: Tenant, organisation_id: str, partner: Partner, **extra: Any) -> str:
    given = await tenant.call(
        "POST",
        f"{A1}/organisations/{organisation_id}/partner-grants",
        json={"partner_id": partner.partner_id, **extra},
    )
    assert given.status_code == 201, given.text
    return str(given.json()["grant_id"])


def _scored(organisation_id: str) -> DiagnosticScored:
    event = scored(organisation_id, 2, account=S.tenant.account_id)
    return event.model_copy(update={"scored_at": datetime.now(UTC)})


def _failed(organisation_id: str) -> DiagnosticScoringFailed:
    return DiagnosticScoringFailed(
        diagnostic_id="dg_" + uuid.uuid4().hex[:12],
        organisation_id=organisation_id,
        account_id=S.tenant.account_id,
        reason="the model version is not published",
        failed_at=datetime.now(UTC),
    )


def _kinds(feed: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(e["kind"], e["organisation_id"]) for e in feed}


async def _fed(watching: httpx.AsyncClient, partner: Partner, count: int) -> bool:
    return len(await _feed(watching, partner)) >= count


async def _delivered(receiver: Receiver, partner: Partner, ids: set[str]) -> bool:
    return ids <= set(_webhooks(receiver, partner))


async def _feed(watching: httpx.AsyncClient, partner: Partner, *, limit: int = 2) -> list[dict[str, Any]]:
    """Read a partner's whole pull feed, page after page, keeping the cursor."""
    events: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"after": cursor} if cursor else {})}
        page = await watching.get(f"{P1}/events", params=params, headers=partner.headers)
        assert page.status_code == 200, page.text
        body = page.json()
        events += body["events"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return events


def _webhooks(receiver: Receiver, partner: Partner) -> dict[str, dict[str, Any]]:
    """Return the bodies the receiver accepted signed with the partner's secret, by event id.

    Each is verified by the Standard Webhooks library; a body signed for another partner fails
    its check and is not this partner's.
    """
    found: dict[str, dict[str, Any]] = {}
    for headers, body in receiver.accepted:
        try:
            payload = Webhook(partner.secret).verify(body, headers)
        except WebhookVerificationError:
            continue
        found[payload["id"]] = payload
    return found


async def _topic_ids(backend: Backend, partner: Partner, expected: set[str]) -> set[str]:
    reader = AIOKafkaConsumer(
        partner_topic(partner.partner_id),
        bootstrap_servers=backend.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await reader.start()
    seen: set[str] = set()
    document = asyncapi("watch")
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while not expected <= seen and asyncio.get_running_loop().time() < deadline:
            for records in (await reader.getmany(timeout_ms=500)).values():
                for record in records:
                    headers = dict(record.headers)
                    # Each record is the partner contract's message, as watch's AsyncAPI documents it.
                    documented = Documented(document, message_named(document, headers["ce_type"].decode()))
                    assert documented.errors(record.headers, record.key, record.value) == []
                    seen.add(headers["ce_id"].decode())
        return seen
    finally:
        await reader.stop()


class Scenario:
    """What the steps share."""

    tenant: Tenant
    p1: Partner
    p2: Partner
    orgs: dict[str, str]
    grants: dict[str, str]
    expires: datetime


S = Scenario()


async def _known_grant(watch: FastAPI, grant_id: str, *, revoked: bool = False) -> bool:
    async with watch.state.deps.runtime.unit_of_work() as uow:
        grant = await uow.partner_feeds.grant(grant_id)
    return grant is not None and (grant.revoked_at is not None) == revoked


class TestPartnerFeeds:
    async def test_each_partner_receives_exactly_its_granting_organisations_events_on_every_feed(
        self,
        backend: Backend,
        watch: FastAPI,
        clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
        receiver: Receiver,
    ) -> None:
        assessment, watching = clients
        S.tenant = await new_tenant(assessment)
        S.p1 = await _partner(
            assessment, "Banque Exemple", ["diagnostic.scored", "diagnostic.scoring_failed"]
        )
        S.p2 = await _partner(assessment, "CCI Exemple", ["diagnostic.scored"])
        S.orgs = {name: await _organisation(S.tenant, f"Org {name} {RUN}") for name in ("a", "b", "c")}
        for partner in (S.p1, S.p2):

            async def known(partner: Partner = partner) -> bool:
                return (await watching.get(f"{P1}/events", headers=partner.headers)).status_code == 200

            await eventually(known)
            endpoint = await watching.post(
                f"{P1}/webhooks/endpoints",
                json={"url": f"http://127.0.0.1:{receiver.port}/{partner.partner_id}"},
                headers=partner.headers,
            )
            assert endpoint.status_code == 201, endpoint.text
            partner.secret = endpoint.json()["secret"]
        S.expires = datetime.now(UTC) + timedelta(seconds=20)
        S.grants = {
            "a-p1": await _grant(S.tenant, S.orgs["a"], S.p1),
            "b-p1": await _grant(S.tenant, S.orgs["b"], S.p1, event_kinds=["diagnostic.scored"]),
            "b-p2": await _grant(S.tenant, S.orgs["b"], S.p2),
            "c-p2": await _grant(S.tenant, S.orgs["c"], S.p2, expires_at=S.expires.isoformat()),
        }
        for grant_id in S.grants.values():
            await eventually(lambda grant_id=grant_id: _known_grant(watch, grant_id))
        events: list[tuple[Event, str]] = [(_scored(S.orgs[n]), S.orgs[n]) for n in ("a", "b", "c")]
        events += [(_failed(S.orgs[n]), S.orgs[n]) for n in ("a", "b")]
        await produce(backend, events_topic("scoring"), events, client_id="test-partners")

        await eventually(lambda: _fed(watching, S.p1, 3), 60)
        await eventually(lambda: _fed(watching, S.p2, 2), 60)
        feed1, feed2 = await _feed(watching, S.p1), await _feed(watching, S.p2)
        # b's scoring failure is not granted to p1 (its grant names the scored kind only), nor to p2.
        assert _kinds(feed1) == {
            ("diagnostic.scored", S.orgs["a"]),
            ("diagnostic.scoring_failed", S.orgs["a"]),
            ("diagnostic.scored", S.orgs["b"]),
        }
        assert len(feed1) == 3
        assert _kinds(feed2) == {("diagnostic.scored", S.orgs["b"]), ("diagnostic.scored", S.orgs["c"])}
        assert len(feed2) == 2
        for event in feed1 + feed2:
            assert event["type"].startswith("dimm.partner.")
            assert "account_id" not in json.dumps(event)
        scored_a = next(
            e for e in feed1 if e["organisation_id"] == S.orgs["a"] and e["kind"] == "diagnostic.scored"
        )
        organisation = PartnerDiagnosticScored.model_validate(scored_a["data"]).organisation
        assert organisation.name == f"Org a {RUN}"
        for partner, feed in ((S.p1, feed1), (S.p2, feed2)):
            ids = {e["id"] for e in feed}
            await eventually(lambda partner=partner, ids=ids: _delivered(receiver, partner, ids), 60)
            assert set(_webhooks(receiver, partner)) == ids
            assert await _topic_ids(backend, partner, ids) == ids

    async def test_revocation_expiry_and_erasure_stop_later_events(
        self,
        backend: Backend,
        watch: FastAPI,
        clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
        receiver: Receiver,
    ) -> None:
        _, watching = clients
        before1, before2 = await _feed(watching, S.p1), await _feed(watching, S.p2)
        revoked = await S.tenant.call(
            "DELETE", f"{A1}/organisations/{S.orgs['b']}/partner-grants/{S.grants['b-p1']}"
        )
        assert revoked.status_code == 204, revoked.text
        await eventually(lambda: _known_grant(watch, S.grants["b-p1"], revoked=True))
        listed = await S.tenant.call("GET", f"{A1}/organisations/{S.orgs['b']}/partner-grants")
        statuses = {g["grant_id"]: (g["status"], g["revoked_by"]) for g in listed.json()["grants"]}
        assert statuses[S.grants["b-p1"]] == (
            "revoked",
            {"account_id": S.tenant.account_id, "client_id": S.tenant.client_id},
        )
        assert statuses[S.grants["b-p2"]][0] == "live"
        # c's grant to p2 expires: wait until it has.
        await asyncio.sleep(max(0.0, (S.expires - datetime.now(UTC)).total_seconds()) + 0.5)
        erased = await S.tenant.call("DELETE", f"{A1}/organisations/{S.orgs['a']}")
        assert erased.status_code == 204, erased.text

        async def forgotten() -> bool:
            return all(e["organisation_id"] != S.orgs["a"] for e in await _feed(watching, S.p1))

        await eventually(forgotten, 60)
        late: list[tuple[Event, str]] = [(_scored(S.orgs[n]), S.orgs[n]) for n in ("a", "b", "c")]
        await produce(backend, events_topic("scoring"), late, client_id="test-partners")
        await eventually(lambda: _fed(watching, S.p2, len(before2) + 1), 60)
        await asyncio.sleep(2)  # time for anything wrongly sent to show up
        after1, after2 = await _feed(watching, S.p1), await _feed(watching, S.p2)
        # p1: a erased (its events leave the pull feed), b revoked: nothing new, b's earlier event stays.
        assert [e["id"] for e in after1] == [e["id"] for e in before1 if e["organisation_id"] != S.orgs["a"]]
        # p2: b's grant is live, c's has expired: only b's new event.
        [new] = [e for e in after2 if e["id"] not in {b["id"] for b in before2}]
        assert new["organisation_id"] == S.orgs["b"]
        assert [e["cursor"] for e in after2] == sorted((e["cursor"] for e in after2), key=int)
        grants = await S.tenant.call("GET", f"{A1}/organisations/{S.orgs['c']}/partner-grants?status=expired")
        assert [g["grant_id"] for g in grants.json()["grants"]] == [S.grants["c-p2"]]

    async def test_a_partner_token_is_refused_off_its_own_routes_and_on_another_partners(
        self,
        app: FastAPI,
        watch: FastAPI,
        scoring: FastAPI,
        clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
        scoring_http: httpx.AsyncClient,
    ) -> None:
        assessment, watching = clients
        tried, let_through = 0, []
        for application, client in ((app, assessment), (watch, watching), (scoring, scoring_http)):
            for template, operations in application.openapi()["paths"].items():
                if "/partners/v1/" in template or template.endswith(_PUBLIC) or "/v1/models" in template:
                    continue  # the partners' own, and the public ones (the model catalogue is open)
                path = template.replace("{", "").replace("}", "")
                for method in operations:
                    answer = await client.request(method.upper(), path, headers=S.p1.headers, json={})
                    if answer.status_code not in (401, 403, 429) or not answer.headers[
                        "content-type"
                    ].endswith("problem+json"):
                        let_through.append((method, template, answer.status_code))
                    tried += 1
        assert let_through == [], "\n".join(map(str, let_through))
        assert tried > 60
        endpoints = await watching.get(f"{P1}/webhooks/endpoints", headers=S.p1.headers)
        [mine] = endpoints.json()
        for method, suffix in (("GET", ""), ("GET", "/deliveries"), ("POST", "/rotate"), ("DELETE", "")):
            answer = await watching.request(
                method, f"{P1}/webhooks/endpoints/{mine['id']}{suffix}", headers=S.p2.headers
            )
            assert answer.status_code == 404, (method, suffix, answer.text)
        assert all(e["organisation_id"] != S.orgs["a"] for e in await _feed(watching, S.p2))
        account = await watching.get(f"{P1}/events", headers=S.tenant.headers)
        assert account.status_code == 403
        assert (await watching.get(f"{P1}/events")).status_code == 401
        bad = await watching.get(f"{P1}/events", params={"after": "x1"}, headers=S.p1.headers)
        assert bad.status_code in (400, 422)
        assert bad.headers["content-type"] == "application/problem+json"
