"""HTTP request metrics of a service: counts by route template and status, and durations.

Routes are labelled by their template (`/assessment/v1/diagnostics/{diagnostic_id}`), never by
the path a caller sent, so ids never become labels; a path no route matches is `unmatched`.
The availability SLO reads the 5xx share of these counts.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"


def route_template(scope: Scope) -> str:
    """Return the full template of the route that answered (prefixes of included routers included).

    FastAPI 0.16x routes through included routers and keeps the full path on its "effective route
    context"; `scope["route"]` then holds only the innermost router's path. A unit test pins this.
    """
    context = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(context, "path", None) or getattr(scope.get("route"), "path", None)
    return str(path) if path else UNMATCHED


class HttpMetrics:
    """Counters and histogram of the HTTP requests one service answered."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "dimm_http_requests_total",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "dimm_http_request_duration_seconds",
            "Time to answer an HTTP request (until the response starts), by method and route template.",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.dependency_up = Gauge(
            "dimm_dependency_up",
            "Whether a dependency answered the service's readiness check (1) or not (0), per scrape.",
            ["dependency"],
            registry=registry,
        )


class RequestMetricsMiddleware:
    """Pure ASGI middleware: time each request and count it by route template and status."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes every handler is answered 500 by the server

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = route_template(scope)
            method = str(scope.get("method", "GET"))
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.duration.labels(method, route).observe(time.perf_counter() - started)
