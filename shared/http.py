"""HTTP pieces every service serves: health, readiness, metrics, AsyncAPI, correlation ids, guards."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, SecretStr
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import SCOPES, Access, Principal
from shared.body_limit import BodyLimitMiddleware
from shared.docs import install_docs
from shared.errors import Forbidden, Unauthorized
from shared.http_metrics import HttpMetrics, RequestMetricsMiddleware
from shared.logging import new_correlation_id, reset_correlation_id, set_correlation_id
from shared.openapi import amend_openapi, complete_openapi, problem_response
from shared.problems import install_error_handlers
from shared.runtime import ServiceRuntime
from shared.security_headers import DOCS_CSP, SecurityHeadersMiddleware
from shared.throttle import AuthThrottle, MongoFailureCounts
from shared.tracing import instrument_http

CORRELATION_HEADER = "X-Correlation-ID"


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Declare error statuses answered with a problem body, for the OpenAPI document."""
    return {code: problem_response(code) for code in codes}


_MAX_CORRELATION_LENGTH = 128

bearer = HTTPBearer(auto_error=False, description="An access token from /assessment/v1/oauth/token.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def _authenticate(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    *,
    partner_route: bool = False,
    respondent_checked_by_route: bool = False,
) -> Principal:
    if credentials is None:
        raise Unauthorized("A bearer token is required.")
    access: Access = request.app.state.access
    return await access.authenticate(
        credentials.credentials,
        partner_route=partner_route,
        respondent_checked_by_route=respondent_checked_by_route,
    )


async def get_caller(request: Request, credentials: Credentials) -> Principal:
    """Authenticate the caller's bearer token with the app's access rules (a partner's is refused)."""
    return await _authenticate(request, credentials)


Caller = Annotated[Principal, Depends(get_caller)]


async def get_answering_caller(request: Request, credentials: Credentials) -> Principal:
    """Authenticate like `Caller`, for routes whose own conditional write refuses a revoked respondent.

    An answer is stored by one write that checks the respondent is still active (and says 401 when
    a revoked respondent's token sent it): reading the revocation here too would double its cost.
    """
    return await _authenticate(request, credentials, respondent_checked_by_route=True)


AnsweringCaller = Annotated[Principal, Depends(get_answering_caller)]


async def get_partner(request: Request, credentials: Credentials) -> Principal:
    """Authenticate a partner's bearer token; any other token is refused on the partner routes."""
    return await _authenticate(request, credentials, partner_route=True)


PartnerCaller = Annotated[Principal, Depends(get_partner)]


async def get_reader(
    request: Request,
    credentials: Credentials,
    access_token: Annotated[
        str | None, Query(max_length=4096, description="For a browser: the token in the URL.")
    ] = None,
) -> Principal:
    """Like the bearer token, but a browser opening a page may pass it in the URL (RFC 6750 §2.3)."""
    if credentials is None and access_token:
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=access_token)
    return await get_caller(request, credentials)


Reader = Annotated[Principal, Depends(get_reader)]


def get_throttle(request: Request) -> AuthThrottle:
    """Return the app's throttle of failed authentications."""
    throttle: AuthThrottle = request.app.state.throttle
    return throttle


Throttle = Annotated[AuthThrottle, Depends(get_throttle)]


async def require_operator(request: Request, credentials: Credentials, throttle: Throttle) -> None:
    """Let only the platform operator through (the service's admin token); throttle wrong tokens.

    Counted per address only: a count shared by every caller would let anyone lock the operator out.
    """
    if credentials is None:
        raise Unauthorized("A bearer token is required.")
    expected: SecretStr | None = request.app.state.operator_token
    if expected is None:
        raise Forbidden("No operator token is configured on this service.")
    keys = [f"operator:addr:{throttle.address(request)}"]
    await throttle.check(keys)
    if not hmac.compare_digest(credentials.credentials.encode(), expected.get_secret_value().encode()):
        await throttle.failed(keys)
        raise Unauthorized("The bearer token is not valid.")
    await throttle.succeeded(keys[0])


class Readiness(BaseModel):
    """Whether the service's dependencies answer."""

    status: Literal["ready", "unavailable"]
    service: str
    checks: dict[str, bool]


class CorrelationMiddleware:
    """Take the caller's correlation id (or make one) and return it on the response.

    Plain ASGI: Starlette's BaseHTTPMiddleware runs the app in a task group of its own per
    request, which costs more than everything this does.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(CORRELATION_HEADER, "")
        valid = given and len(given) <= _MAX_CORRELATION_LENGTH and given.isprintable()
        correlation_id = given if valid else new_correlation_id()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[CORRELATION_HEADER] = correlation_id
            await send(message)

        token = set_correlation_id(correlation_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            reset_correlation_id(token)


def metrics_endpoint(
    runtime: ServiceRuntime[Any], registry: CollectorRegistry, http_metrics: HttpMetrics
) -> Callable[[], Awaitable[Response]]:
    """Return the handler of a service's Prometheus metrics."""

    async def metrics() -> Response:
        """Expose the service's Prometheus metrics (with this moment's readiness checks)."""
        for dependency, up in (await runtime.readiness()).items():
            http_metrics.dependency_up.labels(dependency).set(1 if up else 0)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics


def metrics_app(
    runtime: ServiceRuntime[Any], registry: CollectorRegistry, http_metrics: HttpMetrics
) -> Starlette:
    """Build the internal app serving only /<service>/metrics (for the metrics port)."""
    collect = metrics_endpoint(runtime, registry, http_metrics)

    async def metrics(_: Request) -> Response:
        return await collect()

    route = Route(f"/{runtime.name}/metrics", metrics)
    return Starlette(routes=[route], middleware=[Middleware(SecurityHeadersMiddleware)])


def ops_router(
    runtime: ServiceRuntime[Any],
    registry: CollectorRegistry,
    http_metrics: HttpMetrics,
    *,
    with_metrics: bool = True,
) -> APIRouter:
    """Build /healthz, /readyz, /asyncapi.json and (unless on their own port) /metrics of a service."""
    router = APIRouter(tags=["operations"])
    name = runtime.name.capitalize()

    @router.get("/healthz", operation_id=f"get{name}Health")
    async def healthz() -> dict[str, str]:
        """Say the process is alive."""
        return {"status": "ok", "service": runtime.name}

    @router.get(
        "/readyz",
        operation_id=f"get{name}Readiness",
        responses={
            200: {"model": Readiness},
            503: {"model": Readiness, "description": "A dependency does not answer"},
        },
    )
    async def readyz() -> JSONResponse:
        """Say whether MongoDB and Kafka answer."""
        checks = await runtime.readiness()
        ready = all(checks.values())
        body = {"status": "ready" if ready else "unavailable", "service": runtime.name, "checks": checks}
        return JSONResponse(body, status_code=200 if ready else 503)

    if with_metrics:
        router.add_api_route(
            "/metrics",
            metrics_endpoint(runtime, registry, http_metrics),
            response_class=Response,
            operation_id=f"get{name}Metrics",
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
        )

    @router.get("/asyncapi.json", operation_id=f"get{name}AsyncApi")
    async def asyncapi() -> dict[str, Any]:
        """Return the AsyncAPI 3 document of the service's topics."""
        return runtime.asyncapi()

    return router


def create_service_app(
    *,
    runtime: ServiceRuntime[Any],
    registry: CollectorRegistry,
    access: Access | None,
    operator_token: SecretStr | None = None,
    title: str,
    description: str,
    routers: list[APIRouter],
    on_start: Callable[[], Awaitable[None]] | None = None,
    on_stop: Callable[[], Awaitable[None]] | None = None,
) -> FastAPI:
    """Assemble a service's FastAPI app under its own prefix, its lifespan owning the runtime."""
    prefix = f"/{runtime.name}"
    settings = runtime.settings
    failures = MongoFailureCounts(lambda: runtime.db)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with runtime.running():
            await failures.ensure_indexes()
            if on_start is not None:
                await on_start()
            try:
                yield
            finally:
                if on_stop is not None:
                    await on_stop()

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url=f"{prefix}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    http_metrics = HttpMetrics(registry)
    app.add_middleware(CorrelationMiddleware)
    # Added last, so it wraps everything: its count includes the 500s the error handlers answer.
    app.add_middleware(RequestMetricsMiddleware, metrics=http_metrics)
    # Outermost: an oversized body is refused before any other layer, or a parser, touches it.
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    docs = {f"{prefix}/docs": DOCS_CSP, f"{prefix}/redoc": DOCS_CSP}
    app.add_middleware(SecurityHeadersMiddleware, page_policies=docs)
    install_error_handlers(app)
    install_docs(app, prefix=prefix, openapi_url=f"{prefix}/openapi.json")
    own_port = settings.metrics_port is not None
    app.include_router(ops_router(runtime, registry, http_metrics, with_metrics=not own_port), prefix=prefix)
    for router in routers:
        app.include_router(router, prefix=prefix)
    _declare_oauth2(app)
    complete_openapi(
        app,
        answers={
            get_caller: (401,),
            get_answering_caller: (401,),
            get_reader: (401,),
            require_operator: (401, 403, 429),
        },
    )
    app.state.runtime = runtime
    app.state.access = access
    app.state.operator_token = operator_token
    app.state.throttle = AuthThrottle(
        failures,
        max_failures=settings.auth_max_failures,
        window_seconds=settings.auth_failure_window_seconds,
        trusted_proxies=settings.trusted_networks,
    )
    app.state.metrics_app = metrics_app(runtime, registry, http_metrics)
    instrument_http(app, service=runtime.name, prefix=prefix)
    http_metrics.start_at_zero(app.routes)  # last: every route is in place
    return app


TOKEN_URL = "/assessment/v1/oauth/token"


def _declare_oauth2(app: FastAPI) -> None:
    """Declare the OAuth2 client-credentials flow, so Swagger UI's Authorize can fetch a token.

    Every operation that takes a bearer token accepts one from this flow too; the token endpoint
    itself authenticates its clients with HTTP Basic (or in the body).
    """

    def declare(document: dict[str, Any]) -> None:
        schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["oauth2"] = {
            "type": "oauth2",
            "description": "An API key's client credentials exchanged at the token endpoint (RFC 6749 §4.4).",
            "flows": {"clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": dict(SCOPES)}},
        }
        schemes["basicClient"] = {
            "type": "http",
            "scheme": "basic",
            "description": "The token endpoint's client authentication: client_id and client_secret.",
        }
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                security = operation.get("security") if isinstance(operation, dict) else None
                if security and any("HTTPBearer" in entry for entry in security):
                    operation["security"] = [*security, {"oauth2": []}]

    amend_openapi(app, declare)
