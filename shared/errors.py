"""One error hierarchy, each carrying its HTTP status; `shared.http` renders them as RFC 9457 bodies.

Pure: the domain raises these (a rule refused, something not found) without knowing about HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


#: Where FastAPI says a request value was read; an issue names the field or parameter alone.
REQUEST_PARTS = frozenset({"body", "query", "path", "header", "cookie"})


def field_path(parts: Sequence[int | str]) -> str:
    """Write a location as `levers[0].groupements[1].code` (empty for the whole document)."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def schema_issues(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Turn pydantic's validation errors into problem `errors` items: path, message, type."""
    issues = []
    for error in errors:
        kind = str(error.get("type", "value_error"))
        location = tuple(error.get("loc", ()))
        if location and location[0] in REQUEST_PARTS:
            location = location[1:]
        if kind == "json_invalid":  # its location is a character position, not a field
            location = ()
        issues.append({"path": field_path(location), "message": str(error.get("msg", "")), "type": kind})
    return issues


def _issue(item: Mapping[str, Any], *, detail: str, kind: str) -> dict[str, Any]:
    """Give an issue the three fields every one has; keep what else it says (an indicator, a position)."""
    return {
        **item,
        "path": str(item.get("path", "")),
        "message": str(item.get("message", detail)),
        "type": str(item.get("type", kind)),
    }


def problem(
    *,
    status: int,
    title: str,
    detail: str,
    type_slug: str,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Build an RFC 9457 problem document.

    Its `errors` items always have one shape (`path`, `message`, `type`), whoever found them: the
    request's schema or the service's own rules. A 422 always lists at least one.
    """
    body: dict[str, Any] = {
        "type": f"https://dimm.dev/problems/{type_slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    kind = type_slug.replace("-", "_")
    if not errors and status == 422:
        errors = [{}]
    if errors:
        body["errors"] = [_issue(item, detail=detail, kind=kind) for item in errors]
    return body
