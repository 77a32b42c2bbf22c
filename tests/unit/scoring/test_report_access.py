"""A refused report link: a French page for a browser, a problem for an API client; the PDF's renderer.

The refusals happen while authenticating, before the database is touched: the scoring app is
called without its lifespan.
"""

from __future__ import annotations

import io
import shutil
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from services.scoring.adapters.pdf import ChromiumPdf
from services.scoring.app import create_app
from services.scoring.entrypoints.report import render_report
from services.scoring.settings import ScoringSettings
from shared.auth import REPORT_SCOPE, SCOPES, Principal, TokenIssuer, generate_key_pair, load_private_key
from shared.errors import ServiceUnavailable
from tests.unit.scoring.test_report import NAME, report_view

PRIVATE, PUBLIC = generate_key_pair()
ISSUER = TokenIssuer(load_private_key(PRIVATE), issuer="dimm")
REPORT = "/scoring/v1/diagnostics/dg_1/report"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _token(*, diagnostic_id: str = "dg_1", ttl: timedelta = timedelta(minutes=5), link: bool = True) -> str:
    scopes = frozenset({REPORT_SCOPE}) if link else frozenset(SCOPES)
    principal = Principal(
        "acc_1", scopes, "free", uuid.uuid4().hex, diagnostic_id=diagnostic_id if link else None
    )
    return ISSUER.issue(principal, ttl=ttl)


@pytest.fixture(scope="module")
def client() -> TestClient:
    """Call the scoring app without starting it: refusals come before any database access."""
    settings = ScoringSettings(environment="test", jwt_public_key=PUBLIC)
    return TestClient(create_app(settings))


def _tampered() -> str:
    token = _token()
    return token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")


class TestRefusalsInABrowser:
    @pytest.mark.parametrize(
        ("query", "status", "title"),
        # Tokens made when the test runs, not when it is collected: a suite run may last longer
        # than a link lives.
        [
            (
                lambda: {"access_token": _token(ttl=timedelta(seconds=-5))},
                401,
                "Ce lien vers le rapport a expiré",
            ),
            (lambda: {"access_token": "not-a-token"}, 401, "Ce lien vers le rapport n'est pas valide"),
            (dict, 401, "Ce lien vers le rapport n'est pas valide"),
            (lambda: {"access_token": _token(diagnostic_id="dg_2")}, 403, "Ce lien n'ouvre pas ce rapport"),
        ],
        ids=["expired", "invalid", "missing", "another-report"],
    )
    @pytest.mark.parametrize("path", [REPORT, f"{REPORT}.pdf"], ids=["html", "pdf"])
    def test_a_french_page_says_why_and_how_to_get_a_fresh_link(
        self, client: TestClient, path: str, query: Callable[[], dict[str, str]], status: int, title: str
    ) -> None:
        response = client.get(path, params=query(), headers=BROWSER)
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/html")
        page = response.text
        assert '<html lang="fr">' in page
        assert f"<h1>{title}</h1>" in page
        assert "POST /assessment/v1/diagnostics/dg_1/report-link" in page
        assert "dimm demo" in page
        assert response.headers["cache-control"] == "no-store"
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")

    def test_a_tampered_link_is_not_valid(self, client: TestClient) -> None:
        response = client.get(REPORT, params={"access_token": _tampered()}, headers=BROWSER)
        assert response.status_code == 401
        assert "n'est pas valide" in response.text


class TestRefusalsToAnApiClient:
    @pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
    def test_an_expired_link_is_a_problem(self, client: TestClient, accept: str | None) -> None:
        headers = {"Accept": accept} if accept else {}
        token = _token(ttl=timedelta(seconds=-5))
        response = client.get(REPORT, params={"access_token": token}, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert "expired" in response.json()["detail"]


class TestTheLinkOpensNothingElse:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/scoring/v1/diagnostics/dg_1/scorecard"),
            ("GET", "/scoring/v1/diagnostics/dg_1/export.json"),
            ("GET", "/scoring/v1/diagnostics/dg_1/export.csv"),
            ("POST", "/scoring/v1/diagnostics/dg_1/simulations"),
            ("GET", "/scoring/v1/organisations/org_1/history"),
        ],
    )
    def test_another_scoring_route_refuses_it(self, client: TestClient, method: str, path: str) -> None:
        headers = {"Authorization": f"Bearer {_token()}"}
        response = client.request(method, path, headers=headers, json={"levels": {}})
        assert response.status_code == 403, response.text
        assert "report link" in response.json()["detail"]


needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (make test installs it)"
)


class TestPdf:
    @needs_chromium
    @pytest.mark.asyncio
    async def test_headless_chromium_prints_the_report_on_a4(self) -> None:
        renderer = ChromiumPdf("chromium", timeout_seconds=120, concurrency=1)
        pdf = await renderer.render(render_report(report_view(), printable=True))
        assert pdf.startswith(b"%PDF")
        reader = PdfReader(io.BytesIO(pdf))
        text = "".join(page.extract_text() for page in reader.pages)
        assert NAME in text
        assert "Feuille de route" in text
        width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
        assert (round(width), round(height)) == (595, 842), "not A4 (595 × 842 pt)"
        assert len(reader.pages) >= 3

    @pytest.mark.asyncio
    async def test_without_a_browser_the_pdf_is_a_clear_503(self) -> None:
        renderer = ChromiumPdf("no-such-browser-here", timeout_seconds=5, concurrency=1)
        assert not renderer.available
        with pytest.raises(ServiceUnavailable, match="print it from the browser"):
            await renderer.render("<!doctype html><html lang='fr'><body>x</body></html>")
