"""Compose the four services: one process each, or all four behind one port."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send

from services.assessment.app import create_app as create_assessment
from services.assessment.settings import AssessmentSettings
from services.benchmark.app import create_app as create_benchmark
from services.benchmark.settings import BenchmarkSettings
from services.scoring.app import create_app as create_scoring
from services.scoring.settings import ScoringSettings
from services.watch.app import create_app as create_watch
from services.watch.settings import WatchSettings
from shared.logging import reset_service, set_service
from shared.security_headers import add_security_headers
from shared.settings import ServiceSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSpec:
    """How to build one service: its settings (read from the environment) and its app."""

    name: str
    settings: Callable[..., ServiceSettings]
    create_app: Callable[[Any], FastAPI]


SERVICES: dict[str, ServiceSpec] = {
    "assessment": ServiceSpec("assessment", AssessmentSettings, create_assessment),
    "scoring": ServiceSpec("scoring", ScoringSettings, create_scoring),
    "benchmark": ServiceSpec("benchmark", BenchmarkSettings, create_benchmark),
    "watch": ServiceSpec("watch", WatchSettings, create_watch),
}


class PrefixDispatcher:
    """Route `/<service>/…` to that service's app and run every app's lifespan."""

    def __init__(self, apps: dict[str, Starlette]) -> None:
        self._apps = apps

    def metrics(self) -> PrefixDispatcher:
        """Return the dispatcher of the services' metrics apps, for the internal metrics port."""
        return PrefixDispatcher({name: app.state.metrics_app for name, app in self._apps.items()})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope.get("path", "/")
        name = path.strip("/").split("/", 1)[0]
        app: ASGIApp | None = self._apps.get(name)
        if app is not None:
            token = set_service(name)  # its log lines name it, not the process
            try:
                await app(scope, receive, send)
            finally:
                reset_service(token)
        elif scope["type"] == "http":
            await self._not_found(path, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        stop = asyncio.Event()
        started = {name: asyncio.Event() for name in self._apps}
        tasks = [
            asyncio.create_task(self._hold(name, app, started[name], stop), name=f"lifespan-{name}")
            for name, app in self._apps.items()
        ]
        # Services start side by side: joining a consumer group takes seconds each.
        waiting = {asyncio.create_task(e.wait()) for e in started.values()}
        while waiting:
            done, _ = await asyncio.wait([*tasks, *waiting], return_when=asyncio.FIRST_COMPLETED)
            if any(task in done for task in tasks):
                break
            waiting -= done
        for waiter in waiting:
            waiter.cancel()
        failed = [t for t in tasks if t.done() and t.exception() is not None]
        if failed or not all(e.is_set() for e in started.values()):
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            reason = str(failed[0].exception()) if failed else "a service stopped during start-up"
            await send({"type": "lifespan.startup.failed", "message": reason})
            return
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await send({"type": "lifespan.shutdown.complete"})

    @staticmethod
    async def _hold(name: str, app: Starlette, started: asyncio.Event, stop: asyncio.Event) -> None:
        # The tasks a service starts (relay, consumer, scheduler) inherit this task's context.
        set_service(name)
        async with app.router.lifespan_context(app):
            started.set()
            await stop.wait()

    async def _not_found(self, path: str, send: Send) -> None:
        body = {
            "type": "https://dimm.dev/problems/not-found",
            "title": "Not found",
            "status": 404,
            "detail": f"No service serves {path}; try one of: {', '.join('/' + n for n in self._apps)}.",
        }
        payload = json.dumps(body).encode()
        start = {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
        add_security_headers(MutableHeaders(scope=start), html_policy=False)
        await send(start)
        await send({"type": "http.response.body", "body": payload})


def build_service(name: str, **overrides: Any) -> FastAPI:
    """Build one service's app from the environment (plus explicit overrides)."""
    spec = SERVICES[name]
    return spec.create_app(spec.settings(**overrides))


def build_platform(**overrides: Any) -> PrefixDispatcher:
    """Build the four services behind one dispatcher."""
    return PrefixDispatcher({name: build_service(name, **overrides) for name in SERVICES})
