"""The watch service on the real stack: scored events → notice published → alerts, inbox, signed webhooks."""

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
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook

from services.watch.adapters.mail_sink import MailSink
from services.watch.app import create_app
from services.watch.service_layer.mailings import send_digests
from services.watch.service_layer.notices import fan_out
from services.watch.settings import WatchSettings
from shared.auth import SCOPES, Principal, TokenIssuer, load_private_key
from shared.events.contracts.assessment import AccountOpened, OrganisationErased
from shared.events.contracts.catalogue import ModelPublished
from shared.events.envelope import Event
from shared.messaging.topics import events_topic
from shared.model.editions import _v2_document, shipped_edition
from shared.model.validation import parse_model
from tests.integration.bus import eventually, produce
from tests.integration.conftest import PRIVATE_KEY, PUBLIC_KEY, TOKEN, assert_private_page
from tests.integration.receiver import Receiver
from tests.stack import Backend
from tests.unit.benchmark.events import registered, scored

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
W1 = "/watch/v1"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
ISSUER = TokenIssuer(load_private_key(PRIVATE_KEY), issuer="dimm")
RUN = uuid.uuid4().hex[:6]
OWNER, STRANGER = f"acc_o{RUN}", f"acc_s{RUN}"
ORG = {name: f"org_{name}{RUN}" for name in ("a", "b", "c", "tpe", "s")}
EAA = "ntc_eaa_2025"
MODEL = f"dimmw{RUN}"
MODEL_NOTICE = f"ntc_model_{MODEL}_2_0_0_2_1_0"


def _headers(account: str) -> dict[str, str]:
    token = ISSUER.issue(
        Principal(account, frozenset(SCOPES), "premium", uuid.uuid4().hex), ttl=timedelta(minutes=10)
    )
    return {"Authorization": f"Bearer {token}"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def mail_sink(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MailSink]:
    sink = MailSink(directory=tmp_path_factory.mktemp("mail"))
    await sink.start()
    yield sink
    await sink.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def watch(backend: Backend, mail_sink: MailSink) -> AsyncIterator[FastAPI]:
    settings = WatchSettings(
        environment="test",
        kafka_bootstrap_servers=backend.kafka_bootstrap_servers,
        mongodb_url=backend.mongodb_url,
        mongodb_database=f"watch_{RUN}",
        jwt_public_key=PUBLIC_KEY,
        admin_token=TOKEN,
        webhook_allow_hosts=("127.0.0.1",),
        webhook_retry_compress=1000.0,
        work_interval_seconds=0.2,
        smtp_port=mail_sink.port,
        webhook_disable_after_days=0.0001,  # 8.6 s of failures: the 5 days of production, compressed
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(loop_scope="module")
async def http(watch: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=watch), base_url="http://test") as client:
        yield client


async def _produce(backend: Backend, topic: str, events: list[tuple[Event, str]]) -> None:
    await produce(backend, topic, events, client_id="test-watch")


async def _eventually(check: Any, timeout: float = 90) -> None:
    # A deadline, not a speed target: with the end-to-end tier running beside this one on 2 cores
    # and every commit synced to disk, retried deliveries took more than 45 s once.
    await eventually(check, timeout)


def _edition(version: str, *, accessibility_target: int) -> Any:
    """Return DIMM 2.0.0 under a model id of this test's own (other tests share the topics)."""
    document = _v2_document()
    document["model_id"], document["version"] = MODEL, version
    for lever in document["levers"]:
        for groupement in lever["groupements"]:
            for indicator in groupement["indicators"]:
                if indicator["code"] == "TIO2":
                    indicator["default_target"] = accessibility_target
    return parse_model(document)


async def _latest(watch: FastAPI, organisation_id: str, diagnostic_id: str) -> bool:
    uow = watch.state.deps.runtime.unit_of_work()
    found = await uow.diagnostics.latest(organisation_id)
    return found is not None and found.diagnostic_id == diagnostic_id


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def seeded(backend: Backend, watch: FastAPI) -> dict[str, str]:
    """The owner's a, b (TIO2 at 1, 2), c (at 4), a TPE at 1; a stranger's at 1."""
    now = datetime.now(UTC)
    await _produce(
        backend, events_topic("assessment"), [(ModelPublished.of(shipped_edition("2.0.0"), at=now), "dimm")]
    )
    profiles = {
        "a": (1, "PME", OWNER),
        "b": (2, "PME", OWNER),
        "c": (4, "PME", OWNER),
        "tpe": (1, "TPE", OWNER),
    }
    profiles["s"] = (1, "PME", STRANGER)
    organisations: list[tuple[Event, str]] = [
        (AccountOpened(account_id=account, plan="premium", opened_at=now), account)
        for account in (OWNER, STRANGER)
    ]
    diagnostics: dict[str, str] = {}
    scored_events: list[tuple[Event, str]] = []
    for name, (level, size, account) in profiles.items():
        organisations.append((registered(ORG[name], account=account, size_band=size), ORG[name]))
        event = scored(ORG[name], level, account=account, size_band=size)
        diagnostics[name] = event.diagnostic_id
        scored_events.append((event, ORG[name]))
    await _produce(backend, events_topic("assessment"), organisations)
    await _produce(backend, events_topic("scoring"), scored_events)
    for name, diagnostic_id in diagnostics.items():
        await _eventually(lambda n=name, d=diagnostic_id: _latest(watch, ORG[n], d))
    return diagnostics


class TestAPublishedNoticeAlertsExactlyTheOrganisationsItTargets:
    async def test_the_catalogue_is_loaded_as_drafts(
        self, http: httpx.AsyncClient, seeded: dict[str, str]
    ) -> None:
        answer = await http.get(f"{W1}/ops/notices", params={"status": "draft"}, headers=OPERATOR)
        assert answer.status_code == 200
        assert EAA in {n["id"] for n in answer.json()}

    async def test_publishing_alerts_a_and_b_only_and_delivers_signed_webhooks_after_retries(
        self, http: httpx.AsyncClient, watch: FastAPI, seeded: dict[str, str], receiver: Receiver
    ) -> None:
        owner = _headers(OWNER)
        created = await http.post(
            f"{W1}/webhooks/endpoints", json={"url": f"http://127.0.0.1:{receiver.port}/hook"}, headers=owner
        )
        assert created.status_code == 201, created.text
        secret, endpoint_id = created.json()["secret"], created.json()["id"]
        published = await http.post(f"{W1}/ops/notices/{EAA}/publish", headers=OPERATOR)
        assert published.status_code == 200, published.text

        async def alerted() -> bool:
            answers = [await http.get(f"{W1}/organisations/{ORG[n]}/alerts", headers=owner) for n in "ab"]
            return all(a.status_code == 200 and a.json() for a in answers)

        await _eventually(alerted)
        for name in ("c", "tpe"):
            answer = await http.get(f"{W1}/organisations/{ORG[name]}/alerts", headers=owner)
            assert answer.json() == [], name
        await _eventually(lambda: _delivered(receiver, 2))
        for headers, body in receiver.accepted:
            Webhook(secret).verify(body, headers)  # raises when the signature does not verify
            assert json.loads(body)["data"]["notice_id"] == EAA
        assert sorted(receiver.attempts.values()) == [3, 3]

        async def logged() -> bool:
            # The receiver has answered before the attempt is recorded: wait for the record.
            log = await http.get(f"{W1}/webhooks/endpoints/{endpoint_id}/deliveries", headers=owner)
            return {d["status"] for d in log.json()} == {"delivered"}

        await _eventually(logged)
        log = await http.get(f"{W1}/webhooks/endpoints/{endpoint_id}/deliveries", headers=owner)
        assert [len(d["attempts"]) for d in log.json()] == [3, 3]

    async def test_the_inbox_holds_one_item_per_alerted_organisation(
        self, http: httpx.AsyncClient, seeded: dict[str, str]
    ) -> None:
        inbox = (await http.get(f"{W1}/inbox", headers=_headers(OWNER))).json()
        assert sorted(i["organisation_id"] for i in inbox["items"]) == sorted([ORG["a"], ORG["b"]])
        assert inbox["unread"] == 2

    async def test_a_repeated_fan_out_has_no_second_effect(
        self, watch: FastAPI, seeded: dict[str, str]
    ) -> None:
        deps = watch.state.deps
        again = await fan_out(EAA, uow=deps.runtime.unit_of_work(), schedule=deps.schedule, batch=100)
        assert again == 0

    async def test_publishing_twice_is_refused(self, http: httpx.AsyncClient, seeded: dict[str, str]) -> None:
        answer = await http.post(f"{W1}/ops/notices/{EAA}/publish", headers=OPERATOR)
        assert answer.status_code == 409
        assert answer.headers["content-type"].startswith("application/problem+json")


async def _delivered(receiver: Receiver, count: int) -> bool:
    return len(receiver.accepted) >= count


class TestEmailDigests:
    async def test_one_daily_digest_reaches_the_smtp_server_once(
        self, http: httpx.AsyncClient, watch: FastAPI, seeded: dict[str, str], mail_sink: MailSink
    ) -> None:
        chosen = {"email": f"dpo{RUN}@example.org", "channels": {"email": {"technology": "daily"}}}
        answer = await http.put(f"{W1}/preferences", json=chosen, headers=_headers(OWNER))
        assert answer.status_code == 200, answer.text
        notice = {
            "id": f"ntc_tech_{RUN}",
            "kind": "technology",
            "severity": "warning",
            "title_fr": "Fin du support d'un navigateur ancien : vérifiez l'accessibilité de vos sites",
            "summary_fr": "Les sites doivent être testés sur les navigateurs encore maintenus.",
            "source_url": "https://example.org/navigateurs",
            "indicators": ["TIO2"],
            "size_bands": ["PME"],
        }
        created = await http.post(f"{W1}/ops/notices", json=notice, headers=OPERATOR)
        assert created.status_code == 201, created.text
        await http.post(f"{W1}/ops/notices/{notice['id']}/publish", headers=OPERATOR)

        async def alerted() -> bool:
            inbox = (await http.get(f"{W1}/inbox", headers=_headers(OWNER))).json()["items"]
            return any(i["notice_id"] == notice["id"] for i in inbox)

        await _eventually(alerted)
        deps = watch.state.deps
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        for _ in range(2):  # the job may run twice (a restart, a takeover): one digest per period
            await send_digests("daily", uow=deps.runtime.unit_of_work(), links=deps.links, at=tomorrow)

        async def received() -> bool:
            return any(chosen["email"] in m.rcpt_tos for m in mail_sink.messages)

        await _eventually(received)
        await asyncio.sleep(1.0)  # a second e-mail would come with the next work run
        mine = [m for m in mail_sink.messages if chosen["email"] in m.rcpt_tos]
        assert len(mine) == 1
        message = mine[0].message
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert "Fin du support d'un navigateur ancien" in text
        assert "Échéance aujourd'hui" not in text
        assert f"organisations/{ORG['a']}/veille" in text

    async def test_an_operator_stages_a_missed_period_but_not_one_still_running(
        self, http: httpx.AsyncClient, seeded: dict[str, str]
    ) -> None:
        today = datetime.now(UTC).date()
        running = await http.post(
            f"{W1}/ops/digests", json={"cadence": "daily", "day": today.isoformat()}, headers=OPERATOR
        )
        assert running.status_code == 422
        missed = (today - timedelta(days=2)).isoformat()
        answer = await http.post(
            f"{W1}/ops/digests", json={"cadence": "daily", "day": missed}, headers=OPERATOR
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"staged": 0}


class TestEndpointHealthAndReplay:
    async def test_an_endpoint_failing_through_the_window_is_disabled_and_its_owner_told(
        self, http: httpx.AsyncClient, seeded: dict[str, str], receiver: Receiver, mail_sink: MailSink
    ) -> None:
        stranger, email = _headers(STRANGER), f"ops{RUN}@example.org"
        await http.put(f"{W1}/preferences", json={"email": email}, headers=stranger)
        body = {"url": f"http://127.0.0.1:{receiver.port}/down"}
        endpoint = (await http.post(f"{W1}/webhooks/endpoints", json=body, headers=stranger)).json()
        sent = await http.post(f"{W1}/webhooks/endpoints/{endpoint['id']}/test", headers=stranger)
        assert sent.status_code == 202

        async def disabled() -> bool:
            found = await http.get(f"{W1}/webhooks/endpoints/{endpoint['id']}", headers=stranger)
            return found.json()["status"] == "disabled"

        await _eventually(disabled, timeout=60)
        found = (await http.get(f"{W1}/webhooks/endpoints/{endpoint['id']}", headers=stranger)).json()
        assert found["disabled_reason"] == "failing"

        async def told() -> bool:
            return any(email in m.rcpt_tos for m in mail_sink.messages)

        await _eventually(told)
        (message,) = [m.message for m in mail_sink.messages if email in m.rcpt_tos]
        assert "désactivé" in message["subject"]

    async def test_a_replayed_message_arrives_again_with_the_same_id(
        self, http: httpx.AsyncClient, seeded: dict[str, str], receiver: Receiver
    ) -> None:
        owner = _headers(OWNER)
        (endpoint,) = (await http.get(f"{W1}/webhooks/endpoints", headers=owner)).json()
        log = (await http.get(f"{W1}/webhooks/endpoints/{endpoint['id']}/deliveries", headers=owner)).json()
        delivered = next(d for d in log if d["status"] == "delivered")
        accepted = sum(
            1 for headers, _ in receiver.accepted if headers["webhook-id"] == delivered["message_id"]
        )
        answer = await http.post(
            f"{W1}/webhooks/endpoints/{endpoint['id']}/replay",
            json={"message_id": delivered["message_id"]},
            headers=owner,
        )
        assert answer.json() == {"replayed": 1}

        async def again() -> bool:
            ids = [headers["webhook-id"] for headers, _ in receiver.accepted]
            return ids.count(delivered["message_id"]) == accepted + 1

        await _eventually(again)


class TestMetrics:
    async def test_webhook_attempts_emails_and_jobs_are_exported(
        self, http: httpx.AsyncClient, seeded: dict[str, str]
    ) -> None:
        text = (await http.get("/watch/metrics")).text
        samples = {
            line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line and not line.startswith("#")
        }
        assert samples['dimm_webhook_attempts_total{outcome="delivered"}'] >= 2
        assert samples['dimm_webhook_attempts_total{outcome="failed"}'] >= 4
        assert samples['dimm_webhook_attempts_total{outcome="gone"}'] == 0  # present before any
        assert samples['dimm_emails_total{outcome="sent"}'] >= 1
        assert samples['dimm_scheduler_job_last_success_timestamp_seconds{task="watch-work"}'] > 0
        assert samples['dimm_scheduler_job_runs_total{outcome="failed",task="watch-daily"}'] == 0


class TestLaterDiagnosticsAndErasure:
    async def test_a_later_diagnostic_that_no_longer_matches_resolves_the_alert(
        self, backend: Backend, http: httpx.AsyncClient, watch: FastAPI, seeded: dict[str, str]
    ) -> None:
        later = scored(ORG["a"], 4, account=OWNER, days=30)
        await _produce(backend, events_topic("scoring"), [(later, ORG["a"])])
        await _eventually(lambda: _latest(watch, ORG["a"], later.diagnostic_id))
        alerts = (await http.get(f"{W1}/organisations/{ORG['a']}/alerts", headers=_headers(OWNER))).json()
        assert [a["status"] for a in alerts if a["notice_id"] == EAA] == ["resolved"]

    async def test_erasure_removes_the_organisation_everywhere(
        self, backend: Backend, http: httpx.AsyncClient, watch: FastAPI, seeded: dict[str, str]
    ) -> None:
        erased = OrganisationErased(organisation_id=ORG["b"], account_id=OWNER, erased_at=datetime.now(UTC))
        await _produce(backend, events_topic("assessment"), [(erased, ORG["b"])])

        async def gone() -> bool:
            answer = await http.get(f"{W1}/organisations/{ORG['b']}/alerts", headers=_headers(OWNER))
            return answer.status_code == 404

        await _eventually(gone)
        inbox = (await http.get(f"{W1}/inbox", headers=_headers(OWNER))).json()
        assert ORG["b"] not in {i["organisation_id"] for i in inbox["items"]}
        assert await watch.state.deps.runtime.unit_of_work().diagnostics.latest(ORG["b"]) is None


class TestTenantIsolation:
    @pytest.mark.parametrize(
        "path",
        [
            "/organisations/{a}/alerts",
            "/organisations/{a}/veille",
        ],
    )
    async def test_another_account_never_sees_the_owners_organisation(
        self, http: httpx.AsyncClient, seeded: dict[str, str], path: str
    ) -> None:
        answer = await http.get(W1 + path.format(a=ORG["a"]), headers=_headers(STRANGER))
        assert answer.status_code == 404

    async def test_another_account_cannot_touch_the_owners_endpoints_or_inbox(
        self, http: httpx.AsyncClient, seeded: dict[str, str]
    ) -> None:
        endpoints = (await http.get(f"{W1}/webhooks/endpoints", headers=_headers(OWNER))).json()
        items = (await http.get(f"{W1}/inbox", headers=_headers(OWNER))).json()["items"]
        stranger = _headers(STRANGER)
        for endpoint in endpoints:
            assert (
                await http.get(f"{W1}/webhooks/endpoints/{endpoint['id']}", headers=stranger)
            ).status_code == 404
            assert (
                await http.delete(f"{W1}/webhooks/endpoints/{endpoint['id']}", headers=stranger)
            ).status_code == 404
        for item in items:
            assert (await http.post(f"{W1}/inbox/{item['id']}/read", headers=stranger)).status_code == 404
        theirs = {e["id"] for e in (await http.get(f"{W1}/webhooks/endpoints", headers=stranger)).json()}
        assert not theirs & {e["id"] for e in endpoints}

    async def test_operator_routes_refuse_an_account_token(self, http: httpx.AsyncClient) -> None:
        answer = await http.get(f"{W1}/ops/notices", headers=_headers(OWNER))
        assert answer.status_code == 401


class TestAModelVersionPublishesItsOwnNotice:
    async def test_a_newer_version_alerts_with_its_projected_impact(
        self, backend: Backend, http: httpx.AsyncClient, watch: FastAPI, seeded: dict[str, str]
    ) -> None:
        now = datetime.now(UTC)
        first = _edition("2.0.0", accessibility_target=3)
        await _produce(backend, events_topic("assessment"), [(ModelPublished.of(first, at=now), MODEL)])
        organisation = f"org_m{RUN}"
        diagnostic = scored(organisation, 3, account=OWNER).model_copy(update={"model_id": MODEL})
        await _produce(
            backend, events_topic("assessment"), [(registered(organisation, account=OWNER), organisation)]
        )
        await _produce(backend, events_topic("scoring"), [(diagnostic, organisation)])
        await _eventually(lambda: _latest(watch, organisation, diagnostic.diagnostic_id))
        second = _edition("2.1.0", accessibility_target=4)
        await _produce(backend, events_topic("assessment"), [(ModelPublished.of(second, at=now), MODEL)])
        owner = _headers(OWNER)

        async def alerted() -> bool:
            alerts = (await http.get(f"{W1}/organisations/{organisation}/alerts", headers=owner)).json()
            return any(a["notice_id"] == MODEL_NOTICE for a in alerts)

        await _eventually(alerted)
        notice = (await http.get(f"{W1}/ops/notices/{MODEL_NOTICE}", headers=OPERATOR)).json()
        assert notice["status"] == "published"
        assert notice["indicators"] == ["TIO2"]
        page = await http.get(f"{W1}/organisations/{organisation}/veille", headers=owner)
        assert page.status_code == 200
        assert_private_page(page)
        assert "Avec la version 2.1.0" in page.text
        assert "TIO2 passe de « ce que vous faites déjà bien » à « mérite votre attention »" in page.text
