"""Serve one service's app with uvicorn (what `python -m services.<name>` runs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from shared.logging import configure_logging
from shared.settings import ServiceSettings
from shared.tracing import configure_tracing

S = TypeVar("S", bound=ServiceSettings)


def serve(settings: S, create_app: Callable[[S], FastAPI]) -> None:
    """Configure logging and tracing, and serve the app until interrupted."""
    configure_logging(service=settings.service_name, level=settings.log_level, json_lines=settings.log_json)
    configure_tracing(service=settings.service_name, otlp_endpoint=settings.otel_exporter_otlp_endpoint)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        # Longer than the default 5 s, so a busy client's pooled connection is not closed under it.
        timeout_keep_alive=30,
    )
