"""A report link on the four services: it opens its report (page and PDF) and is refused everywhere else.

Every route of every service is called with the link's token, in the header and in the URL: a
route that needs a token refuses it (401 or 403 problem); a public route answers as it does to
nobody at all. Expired or revoked links show a French page to a browser.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from starlette.routing import Route

from dimm.platform import PrefixDispatcher
from services.benchmark.app import create_app as create_benchmark
from services.benchmark.settings import BenchmarkSettings
from services.watch.app import create_app as create_watch
from services.watch.settings import WatchSettings
from shared.auth import REPORT_SCOPE, Principal
from shared.model.editions import SME_PROFILE
from tests.integration.conftest import (
    ORGANISATION,
    PUBLIC_KEY,
    TOKEN,
    V1,
    Tenant,
    new_tenant,
    scorecard_of,
    submitted_diagnostic,
)
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
REFUSED = {401, 403, 429}  # 429: the operator routes' throttle, refusing a run of wrong tokens


def _settings(backend: Backend, name: str) -> dict[str, Any]:
    return {
        "environment": "test",
        "kafka_bootstrap_servers": backend.kafka_bootstrap_servers,
        "mongodb_url": backend.mongodb_url,
        "mongodb_database": f"{name}_{uuid.uuid4().hex[:8]}",
        "jwt_public_key": PUBLIC_KEY,
        "admin_token": TOKEN,
    }


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(backend: Backend, app: FastAPI, scoring: FastAPI) -> AsyncIterator[dict[str, FastAPI]]:
    """Run the four services, benchmark and watch beside the conftest's assessment and scoring."""
    benchmark = create_benchmark(BenchmarkSettings(**_settings(backend, "benchmark")))
    watch = create_watch(WatchSettings(**_settings(backend, "watch")))
    async with benchmark.router.lifespan_context(benchmark), watch.router.lifespan_context(watch):
        yield {"assessment": app, "scoring": scoring, "benchmark": benchmark, "watch": watch}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(services: dict[str, FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    """Talk to the four services behind one dispatcher, as behind the gateway."""
    transport = httpx.ASGITransport(app=PrefixDispatcher(dict(services)))
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as client:
        yield client


class Scene:
    """A tenant with two scored diagnostics of one organisation, and a link to the second's report."""

    def __init__(self, tenant: Tenant, organisation: str, other: str, diagnostic: str, link: dict[str, Any]):
        self.tenant, self.organisation, self.other, self.diagnostic, self.link = (
            tenant,
            organisation,
            other,
            diagnostic,
            link,
        )

    @property
    def token(self) -> str:
        """Return the link's token."""
        return str(self.link["url"]).split("access_token=", 1)[1]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scene(platform: httpx.AsyncClient) -> Scene:
    """Submit two diagnostics, wait until both are scored, and ask for a link to the second's report."""
    tenant = await new_tenant(platform, plan="premium")
    levels = dict.fromkeys(SME_PROFILE, 2)
    organisation, other = await submitted_diagnostic(tenant, levels, assessed_on="2025-11-20")
    _, diagnostic = await submitted_diagnostic(tenant, levels, organisation_id=organisation)
    for scored in (other, diagnostic):
        await scorecard_of(platform, tenant, scored)
    response = await tenant.call("POST", f"{V1}/diagnostics/{diagnostic}/report-link")
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    return Scene(tenant, organisation, other, diagnostic, response.json())


class TestTheLink:
    async def test_it_opens_the_report_naming_the_organisation(
        self, platform: httpx.AsyncClient, scene: Scene
    ) -> None:
        page = await platform.get(scene.link["url"], headers=BROWSER)
        assert page.status_code == 200, page.text
        assert f"<h1>{ORGANISATION['name']}</h1>" in page.text
        assert "Secteur : Commerce" in page.text
        assert "Région : Bretagne" in page.text
        assert f'href="report.pdf?access_token={scene.token}"' in page.text
        assert scene.link["expires_in"] == 3600

    async def test_its_token_carries_the_report_scope_alone(self, app: FastAPI, scene: Scene) -> None:
        principal = await app.state.deps.access.authenticate(scene.token, report_of=scene.diagnostic)
        assert principal.scopes == {REPORT_SCOPE}
        assert principal.diagnostic_id == scene.diagnostic

    async def test_it_downloads_the_pdf_or_says_the_renderer_is_absent(
        self, platform: httpx.AsyncClient, scene: Scene
    ) -> None:
        response = await platform.get(scene.link["pdf_url"])
        if shutil.which("chromium") is None:
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            return
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")

    async def test_the_account_token_still_opens_the_report(
        self, platform: httpx.AsyncClient, scene: Scene
    ) -> None:
        url = f"/scoring/v1/diagnostics/{scene.diagnostic}/report"
        assert (await platform.get(url, headers=scene.tenant.headers)).status_code == 200

    async def test_a_draft_has_no_link(self, platform: httpx.AsyncClient, scene: Scene) -> None:
        url = f"{V1}/organisations/{scene.organisation}/diagnostics"
        draft = (await scene.tenant.call("POST", url, json={"scope": "pme-10-priorites"})).json()
        response = await scene.tenant.call("POST", f"{V1}/diagnostics/{draft['diagnostic_id']}/report-link")
        assert response.status_code == 409

    async def test_the_token_endpoint_never_grants_the_report_scope(
        self, platform: httpx.AsyncClient, scene: Scene
    ) -> None:
        response = await platform.post(
            "/assessment/v1/oauth/token",
            data={"grant_type": "client_credentials", "scope": REPORT_SCOPE},
            auth=(scene.tenant.client_id, scene.tenant.client_secret),
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"


HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def _routes(services: dict[str, FastAPI]) -> list[tuple[str, str, str]]:
    """List (service, method, path template) of every route: the OpenAPI operations, and the docs."""
    # No route of ours is left out of the OpenAPI document (none says include_in_schema=False).
    found = {
        (name, method.upper(), path)
        for name, service in services.items()
        for path, operations in service.openapi()["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    }
    found |= {
        (name, method, route.path)
        for name, service in services.items()
        for route in service.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    return sorted(found)


def _path(template: str, scene: Scene) -> str:
    values = {"diagnostic_id": scene.diagnostic, "organisation_id": scene.organisation}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "x"), template)


class TestNothingElseTakesIt:
    async def test_every_other_route_of_every_service_refuses_it(
        self, services: dict[str, FastAPI], scene: Scene
    ) -> None:
        # From an address of its own: the operator routes' throttle counts this sweep's failures per
        # address (and answers 429 once over), and the other tests' operator calls come from another.
        transport = httpx.ASGITransport(app=PrefixDispatcher(dict(services)), client=("192.0.2.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as platform:
            await self._sweep(platform, services, scene)

    async def _sweep(self, platform: httpx.AsyncClient, services: dict[str, FastAPI], scene: Scene) -> None:
        report = {f"/scoring/v1/diagnostics/{scene.diagnostic}/report{suffix}" for suffix in ("", ".pdf")}
        checked, public, wrong = 0, [], []
        for service, method, template in _routes(services):
            path = _path(template, scene)
            if path in report:
                continue
            anonymous = await platform.request(method, path, json={})
            for how in ("header", "query"):
                headers = {"Authorization": f"Bearer {scene.token}"} if how == "header" else {}
                params = {"access_token": scene.token} if how == "query" else {}
                response = await platform.request(method, path, headers=headers, params=params, json={})
                checked += 1
                needs_a_token = anonymous.status_code in REFUSED
                ok = (
                    response.status_code in REFUSED
                    if needs_a_token
                    else response.status_code == anonymous.status_code
                )
                if needs_a_token and response.status_code in REFUSED:
                    ok = ok and response.headers["content-type"] == "application/problem+json"
                if not ok:
                    wrong.append(
                        f"{service} {method} {template} ({how}): {response.status_code} {response.text[:120]}"
                    )
            if anonymous.status_code not in REFUSED:
                public.append(f"{method} {template}")
        assert wrong == [], "\n".join(wrong)
        # Most routes need a token: a run that found none refused would prove nothing.
        assert checked - 2 * len(public) > 60, public

    async def test_the_report_of_another_diagnostic_refuses_it(
        self, platform: httpx.AsyncClient, scene: Scene
    ) -> None:
        for suffix in ("", ".pdf"):
            url = f"/scoring/v1/diagnostics/{scene.other}/report{suffix}"
            response = await platform.get(url, params={"access_token": scene.token})
            assert response.status_code == 403
            assert response.headers["content-type"] == "application/problem+json"


class TestRefusedLinksInABrowser:
    async def test_an_expired_link_says_how_to_get_a_fresh_one(
        self, platform: httpx.AsyncClient, app: FastAPI, scene: Scene
    ) -> None:
        expired = Principal(
            scene.tenant.account_id,
            frozenset({REPORT_SCOPE}),
            "premium",
            uuid.uuid4().hex,
            client_id=scene.tenant.client_id,
            diagnostic_id=scene.diagnostic,
        )
        token = app.state.deps.issuer.issue(expired, ttl=timedelta(seconds=-5))
        url = f"/scoring/v1/diagnostics/{scene.diagnostic}/report"
        page = await platform.get(url, params={"access_token": token}, headers=BROWSER)
        assert page.status_code == 401
        assert page.headers["content-type"].startswith("text/html")
        assert "<h1>Ce lien vers le rapport a expiré</h1>" in page.text
        assert f"POST /assessment/v1/diagnostics/{scene.diagnostic}/report-link" in page.text
        problem = await platform.get(url, params={"access_token": token})
        assert problem.headers["content-type"] == "application/problem+json"

    async def test_revoking_the_api_key_revokes_its_links(self, platform: httpx.AsyncClient) -> None:
        tenant = await new_tenant(platform)
        _, diagnostic = await submitted_diagnostic(tenant, dict.fromkeys(SME_PROFILE, 3))
        await scorecard_of(platform, tenant, diagnostic)
        link = (await tenant.call("POST", f"{V1}/diagnostics/{diagnostic}/report-link")).json()
        assert (await platform.get(link["url"])).status_code == 200
        second = (await tenant.call("POST", f"{V1}/api-keys", json={"name": "other"})).json()
        other = await platform.post(
            "/assessment/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(second["client_id"], second["client_secret"]),
        )
        revoke = await platform.delete(
            f"{V1}/api-keys/{tenant.client_id}",
            headers={"Authorization": f"Bearer {other.json()['access_token']}"},
        )
        assert revoke.status_code == 204
        deadline = asyncio.get_running_loop().time() + 30
        while (page := await platform.get(link["url"], headers=BROWSER)).status_code == 200:
            assert asyncio.get_running_loop().time() < deadline, "scoring never learnt of the revocation"
            await asyncio.sleep(0.2)
        assert page.status_code == 401
        assert "<h1>Ce lien vers le rapport n'est pas valide</h1>" in page.text
