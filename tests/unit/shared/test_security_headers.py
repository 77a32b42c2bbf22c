"""Every response says nosniff; HTML pages get a strict CSP, no referrer and no caching; no banner."""

from __future__ import annotations

import inspect

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from dimm.platform import build_platform, build_service
from shared.http import require_operator
from shared.security_headers import DOCS_CSP, HTML_CSP, SecurityHeadersMiddleware
from shared.serve import server_config

HTML_ONLY = ("Content-Security-Policy", "Referrer-Policy", "Cache-Control")


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")  # type: ignore[arg-type]


def _page_app() -> FastAPI:
    app = FastAPI()

    @app.get("/page", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        return HTMLResponse("<!doctype html><style>p{}</style><p style='x'>hi</p>")

    @app.get("/docs-like/docs", response_class=HTMLResponse)
    async def docs() -> HTMLResponse:
        return HTMLResponse("<script src='/docs-like/docs/static/swagger.js'></script>")

    app.add_middleware(SecurityHeadersMiddleware, page_policies={"/docs-like/docs": DOCS_CSP})
    return app


@pytest.mark.asyncio
class TestTheMiddleware:
    async def test_an_html_page_gets_the_strict_headers(self) -> None:
        async with _client(_page_app()) as http:
            response = await http.get("/page")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == HTML_CSP
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"

    async def test_a_prefix_with_a_policy_of_its_own_gets_it_and_the_other_page_headers(self) -> None:
        async with _client(_page_app()) as http:
            response = await http.get("/docs-like/docs")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == DOCS_CSP
        assert response.headers["referrer-policy"] == "no-referrer"


def test_the_docs_policy_lets_scripts_come_from_the_service_only() -> None:
    directives = dict(part.strip().split(" ", 1) for part in DOCS_CSP.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert "'unsafe-eval'" not in DOCS_CSP
    assert "http" not in DOCS_CSP


def test_the_page_policy_allows_nothing_but_inline_styles() -> None:
    directives = dict(part.strip().split(" ", 1) for part in HTML_CSP.split(";"))
    assert directives == {
        "default-src": "'none'",
        "style-src": "'unsafe-inline'",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
        "form-action": "'none'",
    }


SERVICES = ("assessment", "scoring", "benchmark", "watch")


@pytest.mark.asyncio
class TestEveryServiceApp:
    @pytest.mark.parametrize("name", SERVICES)
    async def test_a_json_route_says_nosniff_without_page_headers(self, name: str) -> None:
        async with _client(build_service(name, environment="development")) as http:
            response = await http.get(f"/{name}/healthz")
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        assert not any(header in response.headers for header in HTML_ONLY)
        assert "server" not in response.headers

    @pytest.mark.parametrize("name", SERVICES)
    async def test_an_error_says_nosniff(self, name: str) -> None:
        async with _client(build_service(name, environment="development")) as http:
            response = await http.get(f"/{name}/v1/nothing-here")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["x-content-type-options"] == "nosniff"

    @pytest.mark.parametrize("name", SERVICES)
    async def test_the_documentation_pages_get_the_docs_policy(self, name: str) -> None:
        async with _client(build_service(name, environment="development")) as http:
            for page in ("docs", "redoc"):
                response = await http.get(f"/{name}/{page}")
                assert response.status_code == 200
                assert response.headers["x-content-type-options"] == "nosniff"
                assert response.headers["content-security-policy"] == DOCS_CSP

    async def test_the_one_port_platform_s_own_404_says_nosniff(self) -> None:
        async with _client(build_platform(environment="development")) as http:
            response = await http.get("/nowhere")
        assert response.status_code == 404
        assert response.headers["x-content-type-options"] == "nosniff"


class TestNoServerBanner:
    def test_the_shared_uvicorn_configuration_sends_no_server_header(self) -> None:
        config = server_config(FastAPI(), host="127.0.0.1", port=1)
        assert config.server_header is False

    def test_the_operator_guard_is_a_coroutine(self) -> None:
        # Counting failures needs the database: the guard must be awaited by FastAPI.
        assert inspect.iscoroutinefunction(require_operator)
