"""The one-port platform: each prefix reaches its own service."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dimm.platform import SERVICES, PrefixDispatcher, build_platform, build_service
from shared.logging import JsonFormatter


def _echo_app(name: str) -> FastAPI:
    app = FastAPI()

    @app.get(f"/{name}/whoami")
    async def whoami() -> dict[str, str]:
        return {"service": name}

    return app


@pytest.fixture
def dispatcher() -> PrefixDispatcher:
    return PrefixDispatcher({name: _echo_app(name) for name in ("assessment", "scoring")})


@pytest.mark.asyncio
class TestPrefixDispatcher:
    @pytest.mark.parametrize("name", ["assessment", "scoring"])
    async def test_a_prefix_reaches_its_service(self, dispatcher: PrefixDispatcher, name: str) -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=dispatcher), base_url="http://t"
        ) as http:
            assert (await http.get(f"/{name}/whoami")).json() == {"service": name}

    async def test_an_unknown_prefix_is_a_404_problem(self, dispatcher: PrefixDispatcher) -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=dispatcher), base_url="http://t"
        ) as http:
            response = await http.get("/nowhere/x")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert "/assessment" in response.json()["detail"]


class TestServiceApps:
    @pytest.mark.parametrize("name", sorted(SERVICES))
    def test_every_route_of_a_service_is_under_its_prefix(self, name: str) -> None:
        app = build_service(name, environment="development")
        paths = [route.path for route in app.routes if hasattr(route, "path")]
        assert paths
        assert all(path.startswith(f"/{name}/") for path in paths), paths


@pytest.mark.asyncio
class TestTheMetricsPortOfDimmUp:
    async def test_one_internal_server_serves_every_service_s_metrics(self) -> None:
        platform = build_platform(environment="development", metrics_port=9464)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=platform.metrics()), base_url="http://t"
        ) as internal:
            for name in SERVICES:
                response = await internal.get(f"/{name}/metrics")
                assert response.status_code == 200, name
                assert "dimm_http_requests_total" in response.text

    async def test_the_public_port_answers_404_there(self) -> None:
        platform = build_platform(environment="development", metrics_port=9464)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=platform), base_url="http://t"
        ) as http:
            for name in SERVICES:
                response = await http.get(f"/{name}/metrics")
                assert response.status_code == 404, name
                assert response.headers["content-type"] == "application/problem+json"

    async def test_without_a_metrics_port_an_app_keeps_them_for_tests_and_development(self) -> None:
        app = build_service("scoring", environment="development")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            assert (await http.get("/scoring/metrics")).status_code == 200


class TestDimmUpMonitoring:
    def test_prometheus_scrapes_the_metrics_port(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        import contextlib

        from dimm import monitoring
        from dimm.up import UpOptions, start_monitoring

        seen: dict[str, str] = {}

        @contextlib.contextmanager
        def fake(data_dir: Path, targets: dict[str, str], **_: object) -> Iterator[monitoring.MonitoringUrls]:
            seen.update(targets)
            yield monitoring.MonitoringUrls("http://p", "http://a", "http://s")

        monkeypatch.setattr(monitoring, "local_monitoring", fake)
        with contextlib.ExitStack() as exits:
            start_monitoring(exits, UpOptions(data_dir=tmp_path), metrics="127.0.0.1:9464")
        assert seen == dict.fromkeys(SERVICES, "127.0.0.1:9464")

    def test_up_takes_the_metrics_port_with_a_loopback_default(self) -> None:
        from typer.testing import CliRunner

        from dimm.cli import app

        result = CliRunner().invoke(app, ["up", "--help"], env={"COLUMNS": "200"})
        assert "--metrics-port" in result.output
        assert "9464" in result.output
        assert "--metrics-host" in result.output


class _Lines(logging.Handler):
    """Keep each log line as the platform's JSON formatter writes it."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter("platform"))
        self.entries: list[dict[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.entries.append(json.loads(self.format(record)))


def _logging_app(name: str) -> FastAPI:
    """A service that logs while starting, from a task it starts, and while answering."""
    log = logging.getLogger("tests.dispatch")

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info("%s starting", name)

        async def background() -> None:
            log.info("%s working", name)

        await asyncio.create_task(background())
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get(f"/{name}/hello")
    async def hello() -> dict[str, str]:
        log.info("%s answering", name)
        return {}

    return app


@pytest.mark.asyncio
class TestLogsUnderOneProcess:
    async def test_every_line_names_the_service_that_wrote_it(self) -> None:
        names = ("assessment", "scoring")
        dispatcher = PrefixDispatcher({name: _logging_app(name) for name in names})
        lines = _Lines()
        log = logging.getLogger("tests.dispatch")
        log.addHandler(lines)
        log.setLevel(logging.INFO)
        incoming: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        outgoing: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
        try:
            lifespan = asyncio.create_task(dispatcher({"type": "lifespan"}, incoming.get, outgoing.put))
            await incoming.put({"type": "lifespan.startup"})
            assert (await outgoing.get())["type"] == "lifespan.startup.complete"
            transport = httpx.ASGITransport(app=dispatcher)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                for name in names:
                    assert (await http.get(f"/{name}/hello")).status_code == 200
            await incoming.put({"type": "lifespan.shutdown"})
            await lifespan
        finally:
            log.removeHandler(lines)
        assert len(lines.entries) == 6
        for entry in lines.entries:
            assert entry["message"].startswith(entry["service"] + " "), entry
