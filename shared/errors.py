"""One error hierarchy, each carrying its HTTP status; `shared.http` renders them as RFC 9457 bodies.

Pure: the domain raises these (a rule refused, something not found) without knowing about HTTP.
"""

from __future__ import annotations

from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"


class DomainError(Exception):
    """Base of every foreseeable failure; carries its HTTP status and a problem type."""

    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class InvalidInput(DomainError):
    status, title, type_slug = 422, "Invalid input", "invalid-input"


class Unauthorized(DomainError):
    status, title, type_slug = 401, "Unauthorized", "unauthorized"


class Forbidden(DomainError):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class NotFound(DomainError):
    status, title, type_slug = 404, "Not found", "not-found"


class Conflict(DomainError):
    status, title, type_slug = 409, "Conflict", "conflict"


class TooManyRequests(DomainError):
    """Refused for now; `retry_after_seconds` says when to try again (the Retry-After header)."""

    status, title, type_slug = 429, "Too many requests", "too-many-requests"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = max(1, retry_after_seconds)


class ServiceUnavailable(DomainError):
    status, title, type_slug = 503, "Service unavailable", "service-unavailable"


def problem(
    *,
    status: int,
    title: str,
    detail: str,
    type_slug: str,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Build an RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": f"https://dimm.dev/problems/{type_slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return body
