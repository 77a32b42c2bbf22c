"""Swagger UI and ReDoc come from the service's own files and draw the operations without a network."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from dimm.embedded import free_port
from dimm.platform import SERVICES, build_service
from shared.serve import server_config
from tests.browser import chromium, needs_chromium, offline

REFERENCE = re.compile(r'(?:src|href|spec-url|data-openapi-url)="([^"]+)"')


def _client(name: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_service(name, environment="development"))
    return httpx.AsyncClient(transport=transport, base_url="http://t")


@pytest.mark.asyncio
@pytest.mark.parametrize("name", list(SERVICES))
@pytest.mark.parametrize("page", ["docs", "redoc"])
async def test_a_page_loads_everything_from_its_own_service(name: str, page: str) -> None:
    async with _client(name) as http:
        response = await http.get(f"/{name}/{page}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "<script>" not in response.text, "an inline script: the page's CSP would refuse it"
        references = REFERENCE.findall(response.text)
        assert references
        for reference in references:
            assert reference.startswith(f"/{name}/"), reference
            assert (await http.get(reference)).status_code == 200, reference


@pytest.mark.asyncio
async def test_the_scripts_are_served_as_scripts_and_the_styles_as_styles() -> None:
    async with _client("watch") as http:
        script = await http.get("/watch/docs/static/swagger-ui-bundle.js")
        style = await http.get("/watch/docs/static/swagger-ui.css")
        start = await http.get("/watch/docs/swagger-init.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert start.headers["content-type"].startswith("text/javascript")
    assert style.headers["content-type"].startswith("text/css")
    assert script.headers["x-content-type-options"] == "nosniff"


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """Serve the assessment app (no lifespan: the pages need no database) on 127.0.0.1."""
    port = free_port()
    app = build_service("assessment", environment="development")
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=port, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/assessment"
    server.should_exit = True
    thread.join(timeout=10)


def _dom(url: str, tmp_path: Path) -> str:
    """Let headless Chromium, off the network, run the page's scripts; return the DOM it built."""
    return chromium(
        *offline(), "--virtual-time-budget=20000", "--dump-dom", url, profile=tmp_path / "profile"
    )


@needs_chromium
class TestOffline:
    def test_swagger_ui_draws_the_operations_with_their_ids(self, served: str, tmp_path: Path) -> None:
        dom = _dom(f"{served}/docs", tmp_path)
        assert 'class="opblock' in dom, "Swagger UI drew no operation"
        for operation_id in ("createDiagnostic", "submitDiagnostic", "issueToken"):
            assert operation_id in dom
        assert "Problem" in dom, "the schemas are not listed"

    def test_redoc_draws_the_operations(self, served: str, tmp_path: Path) -> None:
        dom = _dom(f"{served}/redoc", tmp_path)
        assert "operation/createDiagnostic" in dom
        assert "Submit" in dom
