"""`dimm demo` on the four services: organisations, a benchmark, a study, alerts, an inbox and webhooks.

The demo publishes the real `dimm` 2.1.0 edition and catalogue notices: on the session's shared
topics, every other module's watch would alert its own organisations of them. This module runs on
a broker and a database of its own.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from dimm.demo import ORGANISATIONS, DemoLinks, run_demo
from dimm.demo_benchmark import STUDY_TITLE
from dimm.demo_data import QUICK_PROFILE, STUDY_SECTOR
from dimm.demo_watch import MODEL_NOTICE, NOTICES
from dimm.platform import PrefixDispatcher
from services.benchmark.app import create_app as create_benchmark
from services.benchmark.settings import BenchmarkSettings
from services.watch.app import create_app as create_watch
from services.watch.settings import WatchSettings
from tests.integration.conftest import PUBLIC_KEY, TOKEN
from tests.stack import Backend, embedded_backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
V1 = "/assessment/v1"
B1 = "/benchmark/v1"
W1 = "/watch/v1"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    """Run a broker and a database for this module alone (it publishes the real model's 2.1.0)."""
    with embedded_backend() as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def benchmark(backend: Backend) -> AsyncIterator[FastAPI]:
    """Run the benchmark service beside assessment and scoring (k = 5), for the demo."""
    settings = BenchmarkSettings(
        environment="test",
        kafka_bootstrap_servers=backend.kafka_bootstrap_servers,
        mongodb_url=backend.mongodb_url,
        mongodb_database=f"benchmark_{uuid.uuid4().hex[:8]}",
        jwt_public_key=PUBLIC_KEY,
        admin_token=TOKEN,
        min_cohort_size=5,
    )
    application = create_benchmark(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def watch(backend: Backend) -> AsyncIterator[FastAPI]:
    """Run the watch service as `dimm up` does in development: the demo's receiver allowed."""
    settings = WatchSettings(
        environment="test",
        kafka_bootstrap_servers=backend.kafka_bootstrap_servers,
        mongodb_url=backend.mongodb_url,
        mongodb_database=f"watch_{uuid.uuid4().hex[:8]}",
        jwt_public_key=PUBLIC_KEY,
        admin_token=TOKEN,
        webhook_allow_hosts=("127.0.0.1",),
        work_interval_seconds=0.5,
    )
    application = create_watch(settings)
    async with application.router.lifespan_context(application):
        yield application


@dataclass
class Demo:
    """The platform behind one client, the demo's data directory, and what its first run handed out."""

    http: httpx.AsyncClient
    data_dir: Path
    links: DemoLinks

    @property
    def auth(self) -> dict[str, str]:
        """Return the demo account's headers."""
        return {"Authorization": f"Bearer {self.links.token}"}

    async def organisation(self, name: str) -> dict[str, Any]:
        """Return one of the demo's organisations by name."""
        listed = await self.http.get(f"{V1}/organisations", params={"limit": 200}, headers=self.auth)
        return next(o for o in listed.json()["items"] if o["name"] == name)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(
    app: FastAPI,
    scoring: FastAPI,
    benchmark: FastAPI,
    watch: FastAPI,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Demo]:
    """Seed the demo once on the four services behind one dispatcher."""
    services = {"assessment": app, "scoring": scoring, "benchmark": benchmark, "watch": watch}
    data_dir = tmp_path_factory.mktemp("demo")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=PrefixDispatcher(services)), base_url="http://test", timeout=60
    ) as http:
        yield Demo(http, data_dir, await run_demo(http, TOKEN, data_dir))


class TestDemo:
    async def test_the_demo_is_created_with_a_history_a_year_apart_and_compared_with_its_peers(
        self, demo: Demo
    ) -> None:
        assert demo.links.created
        listed = await demo.http.get(f"{V1}/organisations", params={"limit": 200}, headers=demo.auth)
        assert len(listed.json()["items"]) == len(ORGANISATIONS) >= 55
        bakery = await demo.organisation("Boulangerie Martin")
        history = (
            await demo.http.get(
                f"/scoring/v1/organisations/{bakery['organisation_id']}/history", headers=demo.auth
            )
        ).json()
        first, last = (datetime.fromisoformat(p["assessed_at"]) for p in history["points"])
        assert 360 <= (last - first).days <= 370
        assert history["progress"] is not None
        page = await demo.http.get(demo.links.report)
        assert page.status_code == 200
        assert "Progression" in page.text
        assert "médiane des pairs" in page.text

    async def test_a_premium_account_sees_its_peers_and_a_small_sector_is_withheld(self, demo: Demo) -> None:
        bakery = await demo.organisation("Boulangerie Martin")
        peers = await demo.http.get(
            f"{B1}/organisations/{bakery['organisation_id']}/peers", headers=demo.auth
        )
        assert peers.status_code == 200, peers.text
        shown = [c for c in peers.json()["cohorts"] if not c["withheld"]]
        assert {(c["sector"], c["size_band"]) for c in shown} >= {("commerce", "PME"), ("commerce", None)}
        medias = await demo.http.get(f"{B1}/cohorts", params={"sector": "medias"}, headers=demo.auth)
        assert medias.json()["withheld"] is True
        assert medias.json()["organisations"] is None

    async def test_expert_validated_and_quick_diagnostics_are_among_them(self, demo: Demo) -> None:
        for name, field, expected in (
            ("Toit Occitan", "assurance", "expert_validated"),
            ("Cave Au Bon Cep", "scope", QUICK_PROFILE),
        ):
            org = await demo.organisation(name)
            url = f"{V1}/organisations/{org['organisation_id']}/diagnostics"
            [listed] = (await demo.http.get(url, headers=demo.auth)).json()["diagnostics"]
            diagnostic = await demo.http.get(f"{V1}/diagnostics/{listed['diagnostic_id']}", headers=demo.auth)
            assert diagnostic.json()[field] == expected

    async def test_the_social_housing_study_is_published_with_its_page(self, demo: Demo) -> None:
        page = await demo.http.get(demo.links.study)
        assert page.status_code == 200
        assert STUDY_TITLE in page.text
        study = (await demo.http.get(demo.links.study.removesuffix("/results.html"))).json()
        housing = [o for o in ORGANISATIONS if o.body["sector"] == STUDY_SECTOR]
        assert (study["status"], study["participants"]) == ("published", len(housing))
        assert len(housing) >= 6


class TestDemoWatch:
    async def test_the_notices_and_the_model_notice_are_published(self, demo: Demo) -> None:
        listed = await demo.http.get(f"{W1}/ops/notices", params={"status": "published"}, headers=OPERATOR)
        assert {n["id"] for n in listed.json()} >= {*NOTICES, MODEL_NOTICE}
        edition = await demo.http.get(f"{V1}/models/dimm")
        assert edition.json()["latest"] == "2.1.0"

    async def test_organisations_have_open_alerts_and_the_veille_page_shows_them(self, demo: Demo) -> None:
        assert demo.links.watch.alerts > 0
        page = await demo.http.get(demo.links.watch.veille, headers=demo.auth)
        assert page.status_code == 200, page.text
        organisation_id = demo.links.watch.veille.split("/organisations/")[1].split("/")[0]
        alerts = await demo.http.get(
            f"{W1}/organisations/{organisation_id}/alerts", params={"status": "open"}, headers=demo.auth
        )
        assert alerts.json(), "the organisation shown has no open alert"
        bank = await demo.organisation("Banque du Littoral")
        found = await demo.http.get(f"{W1}/organisations/{bank['organisation_id']}/alerts", headers=demo.auth)
        assert MODEL_NOTICE in {a["notice_id"] for a in found.json()}

    async def test_the_inbox_holds_every_notice_once_per_organisation(self, demo: Demo) -> None:
        inbox = (await demo.http.get(demo.links.watch.inbox, headers=demo.auth)).json()
        pairs = [(i["organisation_id"], i["notice_id"]) for i in inbox["items"]]
        assert {n for _, n in pairs} >= {*NOTICES, MODEL_NOTICE}
        assert len(pairs) == len(set(pairs)) == demo.links.watch.alerts
        assert inbox["unread"] == len(pairs)

    async def test_the_local_receiver_wrote_the_signed_webhooks(self, demo: Demo) -> None:
        written = sorted(demo.links.watch.webhooks.glob("*.json"))
        assert written
        record = json.loads(written[0].read_text())
        assert record["headers"]["webhook-signature"].startswith("v1,")
        assert record["body"]["type"] == "watch.organisation.affected"


class TestDemoAgain:
    async def test_a_second_run_creates_nothing_and_gives_the_same_links(self, demo: Demo) -> None:
        snapshot = (await demo.http.get(f"{B1}/snapshots/latest", headers=demo.auth)).json()
        again = await run_demo(demo.http, TOKEN, demo.data_dir)
        assert not again.created
        assert again.report.split("?")[0] == demo.links.report.split("?")[0]
        assert again.study == demo.links.study
        assert again.watch.veille == demo.links.watch.veille
        assert again.watch.alerts == demo.links.watch.alerts
        listed = await demo.http.get(f"{V1}/organisations", params={"limit": 200}, headers=demo.auth)
        assert len(listed.json()["items"]) == len(ORGANISATIONS)
        latest = (await demo.http.get(f"{B1}/snapshots/latest", headers=demo.auth)).json()
        assert latest["snapshot_id"] == snapshot["snapshot_id"]
        studies = (await demo.http.get(f"{B1}/studies")).json()["studies"]
        assert [s["title"] for s in studies].count(STUDY_TITLE) == 1
