"""Render every error of an app as an RFC 9457 problem body; a 500 only for the unforeseen."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import PyMongoError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import PROBLEM_MEDIA_TYPE, DomainError, TooManyRequests, problem, schema_issues
from shared.mongo import INFRASTRUCTURE_ERRORS, is_unavailable
from shared.unit_of_work import TransientFailure

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = "2"


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    """Wrap a problem document in a response with the problem media type."""
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Render every error of the app as a problem body; a 500 only for the unforeseen."""

    async def on_domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after_seconds)}
        return problem_response(
            problem(
                status=exc.status,
                title=exc.title,
                detail=exc.detail,
                type_slug=exc.type_slug,
                instance=request.url.path,
                errors=exc.errors,
            ),
            headers,
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(
            problem(
                status=422,
                title="Invalid input",
                detail="The request does not match its schema.",
                type_slug="invalid-input",
                instance=request.url.path,
                errors=schema_issues(exc.errors()),
            )
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(
            problem(
                status=exc.status_code,
                title=str(exc.detail),
                detail=str(exc.detail),
                type_slug=f"http-{exc.status_code}",
                instance=request.url.path,
            ),
            dict(exc.headers) if exc.headers else None,
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            problem(
                status=500,
                title="Internal error",
                detail="An unexpected error occurred.",
                type_slug="internal",
                instance=request.url.path,
            )
        )

    async def on_unavailable(request: Request, exc: Exception) -> JSONResponse:
        # The database is out of reach, or the work kept losing races: the client may try again.
        logger.warning("%s %s unavailable: %s", request.method, request.url.path, type(exc).__name__)
        return problem_response(
            problem(
                status=503,
                title="Service unavailable",
                detail="A dependency of the service is unavailable; try again shortly.",
                type_slug="service-unavailable",
                instance=request.url.path,
            ),
            {"Retry-After": RETRY_AFTER_SECONDS},
        )

    async def on_database(request: Request, exc: Exception) -> JSONResponse:
        # A commit cut off or a server restarting is unavailability; a duplicate key is a bug.
        if is_unavailable(exc):
            return await on_unavailable(request, exc)
        return await on_unexpected(request, exc)

    app.add_exception_handler(DomainError, on_domain)
    for unavailable in (*INFRASTRUCTURE_ERRORS, TransientFailure):
        app.add_exception_handler(unavailable, on_unavailable)
    app.add_exception_handler(PyMongoError, on_database)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
