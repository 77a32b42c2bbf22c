"""The benchmark service on the real stack: scored events → snapshot → what each plan sees; studies."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from services.benchmark.app import create_app
from services.benchmark.settings import BenchmarkSettings
from shared.auth import SCOPES, Principal, TokenIssuer, load_private_key
from shared.events.contracts import build_registry
from shared.events.contracts.assessment import AccountOpened, OrganisationErased
from shared.events.contracts.benchmark import SnapshotPublished, StudyPublished
from shared.events.contracts.catalogue import ModelPublished
from shared.events.envelope import Event, decode
from shared.messaging.topics import events_topic
from shared.model.editions import shipped_edition
from tests.integration.bus import eventually, produce
from tests.integration.conftest import (
    PRIVATE_KEY,
    PUBLIC_KEY,
    TOKEN,
    assert_private_page,
    records_with_subject,
)
from tests.stack import Backend
from tests.unit.benchmark.events import registered, scored

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
B1 = "/benchmark/v1"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
ISSUER = TokenIssuer(load_private_key(PRIVATE_KEY), issuer="dimm")
RUN = uuid.uuid4().hex[:6]
PREMIUM, FREE, STRANGER = f"acc_p{RUN}", f"acc_f{RUN}", f"acc_s{RUN}"


def _headers(account: str, plan: str) -> dict[str, str]:
    token = ISSUER.issue(
        Principal(account, frozenset(SCOPES), plan, uuid.uuid4().hex), ttl=timedelta(minutes=10)
    )
    return {"Authorization": f"Bearer {token}"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def benchmark(backend: Backend) -> AsyncIterator[FastAPI]:
    settings = BenchmarkSettings(
        environment="test",
        kafka_bootstrap_servers=backend.kafka_bootstrap_servers,
        mongodb_url=backend.mongodb_url,
        mongodb_database=f"benchmark_{RUN}",
        jwt_public_key=PUBLIC_KEY,
        admin_token=TOKEN,
        min_cohort_size=5,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(loop_scope="module")
async def http(benchmark: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=benchmark), base_url="http://test"
    ) as client:
        yield client


async def _produce(backend: Backend, topic: str, events: list[tuple[Event, str]]) -> None:
    await produce(backend, topic, events, client_id="test-benchmark")


async def _eventually(check: Any, timeout: float = 30) -> None:
    await eventually(check, timeout)


async def _counted(benchmark: FastAPI, organisation_id: str, diagnostic_id: str | None = None) -> bool:
    member = await benchmark.state.deps.runtime.unit_of_work().members.get(organisation_id)
    if diagnostic_id is None:
        return member is not None and member.latest is not None
    return member is not None and member.latest is not None and member.latest.diagnostic_id == diagnostic_id


async def _seed(backend: Backend, benchmark: FastAPI) -> dict[str, list[str]]:
    """Premium: six commerce organisations and six social-housing ones; free: one commerce organisation."""
    model = shipped_edition("2.0.0")
    await _produce(
        backend, events_topic("assessment"), [(ModelPublished.of(model, at=datetime.now(UTC)), "dimm")]
    )
    orgs = {
        "commerce": [f"org_c{RUN}_{n}" for n in range(6)],
        "logement-social": [f"org_h{RUN}_{n}" for n in range(6)],
        "free": [f"org_f{RUN}"],
    }
    organisation_events: list[tuple[Event, str]] = [
        (AccountOpened(account_id=PREMIUM, plan="premium", opened_at=datetime.now(UTC)), PREMIUM),
        (AccountOpened(account_id=FREE, plan="free", opened_at=datetime.now(UTC)), FREE),
    ]
    scored_events: list[tuple[Event, str]] = []
    for group, ids in orgs.items():
        sector, account = ("commerce", FREE) if group == "free" else (group, PREMIUM)
        for n, org in enumerate(ids):
            organisation_events.append((registered(org, account=account, sector=sector), org))
            scored_events.append((scored(org, 1 + n % 4, account=account, sector=sector), org))
    await _produce(backend, events_topic("assessment"), organisation_events)
    await _produce(backend, events_topic("scoring"), scored_events)
    for org in (o for ids in orgs.values() for o in ids):
        await _eventually(lambda org=org: _counted(benchmark, org))
    return orgs


class TestBenchmark:
    async def test_scored_events_then_a_snapshot_then_what_each_plan_sees(
        self, http: httpx.AsyncClient, benchmark: FastAPI, backend: Backend
    ) -> None:
        orgs = await _seed(backend, benchmark)
        assert (
            await http.get(f"{B1}/organisations/{orgs['free'][0]}/position", headers=_headers(FREE, "free"))
        ).status_code == 503
        taken = await http.post(f"{B1}/ops/snapshots", headers=OPERATOR)
        assert taken.status_code == 201, taken.text
        assert taken.json()["organisations"] >= 13

        premium = await http.get(
            f"{B1}/organisations/{orgs['commerce'][0]}/peers", headers=_headers(PREMIUM, "premium")
        )
        assert premium.status_code == 200, premium.text
        cohorts = premium.json()["cohorts"]
        assert len(cohorts) == 8
        everyone = next(
            c for c in cohorts if c["sector"] is None and c["size_band"] is None and c["region"] is None
        )
        overall = next(f for f in everyone["figures"] if f["figure"] == "overall")
        assert overall["own_percentile_rank"] is not None
        assert len(overall["quartiles"]) == 3
        assert "min" not in overall
        assert "max" not in overall

        ranked = await http.get(
            f"{B1}/cohorts",
            params={"figure": "overall", "score": 2.5},
            headers=_headers(PREMIUM, "premium"),
        )
        assert ranked.status_code == 200, ranked.text
        [overall_rank] = [f for f in ranked.json()["figures"] if f["figure"] == "overall"]
        assert 0 < overall_rank["own_percentile_rank"] < 100

        free = _headers(FREE, "free")
        position = await http.get(f"{B1}/organisations/{orgs['free'][0]}/position", headers=free)
        assert position.status_code == 200, position.text
        assert position.json()["plan"] == "free"
        assert position.json()["sector_median"] is not None
        assert "premium" in position.json()["premium_adds"] or position.json()["premium_adds"]
        refused = await http.get(f"{B1}/organisations/{orgs['free'][0]}/peers", headers=free)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert "premium" in refused.json()["detail"]
        cohort = await http.get(f"{B1}/cohorts", params={"sector": "commerce"}, headers=free)
        assert cohort.status_code == 403

        snapshot_id = taken.json()["snapshot_id"]
        records = await records_with_subject(backend, events_topic("benchmark"), "dimm@2.0.0", expected=3)
        parts = [build_registry().payload(decode(r.headers, r.value)) for r in records]
        mine = [p for p in parts if isinstance(p, SnapshotPublished) and p.snapshot_id == snapshot_id]
        assert mine
        assert sorted(p.part for p in mine) == list(range(1, mine[0].parts + 1))
        assert all(RUN not in r.value.decode() for r in records)

    async def test_erasure_and_opt_out_leave_the_next_snapshot_and_new_scores_wait_for_it(
        self, http: httpx.AsyncClient, benchmark: FastAPI, backend: Backend
    ) -> None:
        premium = _headers(PREMIUM, "premium")
        orgs = [f"org_c{RUN}_{n}" for n in range(6)]
        before = (await http.post(f"{B1}/ops/snapshots", headers=OPERATOR)).json()
        opted = await http.put(
            f"{B1}/organisations/{orgs[1]}/contribution", json={"contributing": False}, headers=premium
        )
        assert opted.status_code == 200
        await _produce(
            backend,
            events_topic("assessment"),
            [
                (
                    OrganisationErased(
                        organisation_id=orgs[0], account_id=PREMIUM, erased_at=datetime.now(UTC)
                    ),
                    orgs[0],
                )
            ],
        )
        newer = scored(orgs[2], 5, account=PREMIUM, sector="commerce", days=60)
        await _produce(backend, events_topic("scoring"), [(newer, orgs[2])])
        await _eventually(lambda: _counted(benchmark, orgs[2], newer.diagnostic_id))
        unchanged = await http.get(f"{B1}/organisations/{orgs[3]}/peers", headers=premium)
        assert unchanged.json()["snapshot"]["snapshot_id"] == before["snapshot_id"]

        after = (await http.post(f"{B1}/ops/snapshots", headers=OPERATOR)).json()
        assert after["organisations"] == before["organisations"] - 2
        still_sees = await http.get(f"{B1}/organisations/{orgs[1]}/position", headers=premium)
        assert still_sees.status_code == 200
        assert still_sees.json()["contributing"] is False
        gone = await http.get(f"{B1}/organisations/{orgs[0]}/position", headers=premium)
        assert gone.status_code == 404

    async def test_every_organisation_route_refuses_another_tenant(self, http: httpx.AsyncClient) -> None:
        stranger = _headers(STRANGER, "premium")
        org = f"org_h{RUN}_0"
        calls = [
            ("GET", f"{B1}/organisations/{org}/position", None),
            ("GET", f"{B1}/organisations/{org}/peers", None),
            ("PUT", f"{B1}/organisations/{org}/contribution", {"contributing": False}),
        ]
        for method, url, body in calls:
            response = await http.request(method, url, json=body, headers=stranger)
            assert response.status_code == 404, (url, response.text)
        unauthenticated = await http.get(f"{B1}/organisations/{org}/position")
        assert unauthenticated.status_code == 401


class TestStudies:
    async def test_a_study_from_creation_to_its_published_event_and_page(
        self, http: httpx.AsyncClient, backend: Backend
    ) -> None:
        now = datetime.now(UTC)
        body = {
            "title": "Étude nationale sur la digitalisation des bailleurs sociaux",
            "sector": "logement-social",
            "model_version": "2.0.0",
            "opens_at": (now - timedelta(days=400)).isoformat(),
            "closes_at": (now + timedelta(days=30)).isoformat(),
            "min_participants": 5,
        }
        assert (await http.post(f"{B1}/studies", json=body)).status_code == 401
        created = await http.post(f"{B1}/studies", json=body, headers=OPERATOR)
        assert created.status_code == 201, created.text
        study = created.json()["study_id"]
        assert (await http.post(f"{B1}/studies/{study}/open", headers=OPERATOR)).status_code == 200
        premium = _headers(PREMIUM, "premium")
        for n in range(6):
            enrolled = await http.post(
                f"{B1}/studies/{study}/participants",
                json={"organisation_id": f"org_h{RUN}_{n}"},
                headers=premium,
            )
            assert enrolled.status_code == 201, enrolled.text
        wrong_sector = await http.post(
            f"{B1}/studies/{study}/participants", json={"organisation_id": f"org_c{RUN}_3"}, headers=premium
        )
        assert wrong_sector.status_code == 409
        assert (await http.get(f"{B1}/studies/{study}")).json()["participants"] == 6
        early = await http.post(f"{B1}/studies/{study}/publish", headers=OPERATOR)
        assert early.status_code == 409
        assert (await http.post(f"{B1}/studies/{study}/close", headers=OPERATOR)).status_code == 200
        published = await http.post(f"{B1}/studies/{study}/publish", headers=OPERATOR)
        assert published.status_code == 200, published.text
        assert published.json()["participants"] == 6

        [record] = await records_with_subject(backend, events_topic("benchmark"), study)
        event = build_registry().payload(decode(record.headers, record.value))
        assert isinstance(event, StudyPublished)
        assert event.participants == 6
        page = await http.get(f"{B1}/studies/{study}/results.html")
        assert page.status_code == 200
        assert_private_page(page)
        assert '<html lang="fr">' in page.text
        csv_export = await http.get(f"{B1}/studies/{study}/results.csv")
        assert csv_export.headers["content-type"].startswith("text/csv")
        position = await http.get(f"{B1}/studies/{study}/participants/org_h{RUN}_2/position", headers=premium)
        assert position.status_code == 200, position.text
        stranger = await http.get(
            f"{B1}/studies/{study}/participants/org_h{RUN}_2/position", headers=_headers(STRANGER, "premium")
        )
        assert stranger.status_code == 404
