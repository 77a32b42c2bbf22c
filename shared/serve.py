"""Serve one service's app with uvicorn (what `python -m services.<name>` runs), metrics port beside."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from shared.logging import configure_logging
from shared.settings import ServiceSettings
from shared.tracing import configure_tracing

S = TypeVar("S", bound=ServiceSettings)
STARTUP_FAILURE = 3


def server_config(app: ASGIApp, *, host: str, port: int, **options: Any) -> uvicorn.Config:
    """Return uvicorn's configuration as every server of the platform uses it."""
    defaults: dict[str, Any] = {
        "log_config": None,
        "access_log": False,
        # No `Server: uvicorn` banner: it tells a scanner what to try.
        "server_header": False,
        "timeout_graceful_shutdown": 10,
        # Longer than the default 5 s, so a busy client's pooled connection is not closed under it.
        "timeout_keep_alive": 30,
    }
    return uvicorn.Config(app, host=host, port=port, **{**defaults, **options})


class CompanionServer(uvicorn.Server):
    """A second server in the same event loop: the main server takes the signals and stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_together(main: uvicorn.Server, companion: uvicorn.Server | None) -> None:
    """Serve `main` (and `companion`, started first) until `main` stops; then stop the companion."""
    if companion is None:
        await main.serve()
        return
    side = asyncio.create_task(companion.serve(), name="metrics-server")
    while not companion.started and not side.done():
        await asyncio.sleep(0.02)
    if side.done():
        await side  # it could not start (its port is taken): say so rather than serve without it
        raise SystemExit(STARTUP_FAILURE)
    try:
        await main.serve()
    finally:
        companion.should_exit = True
        await side


def run_servers(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    metrics: ASGIApp | None,
    metrics_host: str,
    metrics_port: int | None,
) -> None:
    """Run the public server and, when given a port, the internal metrics server, until interrupted."""
    main = uvicorn.Server(server_config(app, host=host, port=port))
    companion = None
    if metrics is not None and metrics_port is not None:
        companion = CompanionServer(
            server_config(metrics, host=metrics_host, port=metrics_port, lifespan="off")
        )
    # The main server re-raises a captured Ctrl-C once it has shut down, as uvicorn.run expects.
    with (
        contextlib.suppress(KeyboardInterrupt),
        asyncio.Runner(loop_factory=main.config.get_loop_factory()) as runner,
    ):
        runner.run(serve_together(main, companion))
    if not main.started:
        sys.exit(STARTUP_FAILURE)


def serve(settings: S, create_app: Callable[[S], FastAPI]) -> None:
    """Configure logging and tracing, and serve the app (and its metrics port) until interrupted."""
    configure_logging(service=settings.service_name, level=settings.log_level, json_lines=settings.log_json)
    configure_tracing(service=settings.service_name, otlp_endpoint=settings.otel_exporter_otlp_endpoint)
    app = create_app(settings)
    run_servers(
        app,
        host=settings.http_host,
        port=settings.http_port,
        metrics=app.state.metrics_app,
        metrics_host=settings.metrics_host,
        metrics_port=settings.metrics_port,
    )
