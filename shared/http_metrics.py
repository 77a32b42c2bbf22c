"""HTTP request metrics of a service: counts and durations by method, route template and status class.

Routes are labelled by their template (`/assessment/v1/diagnostics/{diagnostic_id}`), never by
the path a caller sent, so ids never become labels; a path no route matches is `unmatched`.
Statuses are labelled by class (`2xx`, `4xx`, `5xx`) and methods outside HTTP's own by `other`:
every label has a known, small set of values, so the count of every route and method is present
at 0 from the start for each class an alert or a ratio reads (an `increase()` then sees the first
5xx). The availability SLO reads the 5xx share of these counts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
#: The classes every route's count starts at 0 with: answers, callers' mistakes, failures.
STATUS_CLASSES = ("2xx", "4xx", "5xx")


def status_class(status: int) -> str:
    """Return the class of an HTTP status (`503` → `5xx`)."""
    return f"{status // 100}xx"


def method_label(method: str) -> str:
    """Return a request's method as a label: HTTP's own methods, anything else `other`."""
    return method if method in METHODS else OTHER_METHOD


def route_template(scope: Scope) -> str:
    """Return the full template of the route that answered (prefixes of included routers included).

    FastAPI 0.16x routes through included routers and keeps the full path on its "effective route
    context"; `scope["route"]` then holds only the innermost router's path. A unit test pins this.
    """
    context = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(context, "path", None) or getattr(scope.get("route"), "path", None)
    return str(path) if path else UNMATCHED


def route_templates(routes: Iterable[Any]) -> Iterator[tuple[str, str]]:
    """Yield (method, template) of every route an app serves, as `route_template` names them.

    FastAPI 0.16x keeps included routers as branches whose effective routes carry the full path
    (the same objects a request's "effective route context" is); plain routes carry theirs.
    """
    for route in routes:
        if hasattr(route, "effective_candidates"):
            yield from route_templates(route.effective_candidates())
            continue
        methods = getattr(getattr(route, "original_route", route), "methods", None) or ()
        path = getattr(route, "path", None)
        if path:
            for method in sorted(methods):
                yield method_label(method), str(path)


class HttpMetrics:
    """Counters and histogram of the HTTP requests one service answered."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "dimm_http_requests_total",
            "HTTP requests answered, by method, route template and status class.",
            ["method", "route", "status_class"],
            registry=registry,
        )
        self.duration = Histogram(
            "dimm_http_request_duration_seconds",
            "Time to answer an HTTP request (until the response starts), by method, route template and "
            "status class.",
            ["method", "route", "status_class"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.dependency_up = Gauge(
            "dimm_dependency_up",
            "Whether a dependency answered the service's readiness check (1) or not (0), per scrape.",
            ["dependency"],
            registry=registry,
        )

    def start_at_zero(self, routes: Iterable[Any]) -> None:
        """Make every route's count present at 0 for each status class.

        Durations stay lazy: a histogram at 0 is 14 series per route, method and class, thousands
        per service for nothing (a quantile of no request is no value, which is right).
        """
        for method, route in route_templates(routes):
            for status in STATUS_CLASSES:
                self.requests.labels(method, route, status)


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
            method = method_label(str(scope.get("method", "GET")))
            labels = (method, route_template(scope), status_class(status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.duration.labels(*labels).observe(time.perf_counter() - started)
