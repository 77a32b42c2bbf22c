"""The OpenAPI document client generators read: every error a problem, every body its media type.

After FastAPI has generated a service's document:
- `Problem` (RFC 9457) and its `ValidationIssue` items join the components;
- every operation lists the error statuses it can really answer, each an `application/problem+json`
  body of `Problem`: those its route declares, those its dependencies answer (a bearer token: 401;
  the operator's guard: 401, 403, 429), 413 when it takes a body (the body limit), 503 under
  `/v1/` (the database), 500 everywhere. FastAPI's own 422 schema gives way to `Problem`;
- a response that declares another body keeps it (the token endpoint's RFC 6749 errors, readiness);
- an optional request body is its schema alone, without a `null` alternative.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.responses import Response

from shared.errors import PROBLEM_MEDIA_TYPE

Document = dict[str, Any]

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
VALIDATION_ISSUE_SCHEMA: dict[str, Any] = {
    "title": "ValidationIssue",
    "type": "object",
    "description": (
        "One thing wrong with the request, found by its schema or by the service's rules "
        "(other fields may add context, e.g. `indicator`)."
    ),
    "required": ["path", "message", "type"],
    "properties": {
        "path": {
            "type": "string",
            "description": (
                "The field, as `levers[0].code` for a body field or the name of a parameter; "
                "empty for the whole request."
            ),
        },
        "message": {"type": "string", "description": "What is wrong, for people."},
        "type": {
            "type": "string",
            "description": "What is wrong, for programs: `missing`, `string_too_long`, `invalid_input`…",
        },
    },
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An error, as RFC 9457 problem details (`application/problem+json`).",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri",
            "description": "The kind of problem, e.g. `https://dimm.dev/problems/invalid-input`.",
        },
        "title": {"type": "string", "description": "The kind of problem, in words."},
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status."},
        "detail": {"type": "string", "description": "What happened to this request."},
        "instance": {"type": "string", "description": "The path of the request."},
        "errors": {
            "type": "array",
            "description": "Every problem found in the request (always at least one on a 422).",
            "items": {"$ref": "#/components/schemas/ValidationIssue"},
        },
    },
}

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The request cannot be read",
    401: "No valid bearer token (or operator token)",
    403: "The token does not allow this (a scope, a plan, another account's resource)",
    404: "Not found, or not the caller's",
    409: "Refused in the resource's present state",
    413: "The request body is over the service's limit",
    422: "Invalid input: `errors` lists every problem, from the schema or the service's rules",
    429: "Too many failed authentications: try again after Retry-After seconds",
    500: "An unexpected error",
    503: "A dependency is unavailable: try again after Retry-After seconds",
}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {"description": "The scheme to authenticate with.", "schema": {"type": "string"}}
    },
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}
#: Descriptions FastAPI writes when a route gives none: replaced by ours.
_GENERATED_DESCRIPTIONS = frozenset({"Additional Response", "Validation Error", "Successful Response"})
_FASTAPI_VALIDATION = "#/components/schemas/HTTPValidationError"


class CsvResponse(Response):
    """A CSV export: the route's OpenAPI says `text/csv`, not JSON."""

    media_type = "text/csv"


def problem_response(status: int) -> dict[str, Any]:
    """Return the OpenAPI response of an error status: a problem body (and its headers)."""
    response: dict[str, Any] = {
        "description": ERROR_DESCRIPTIONS.get(status, "An error"),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def amend_openapi(app: FastAPI, amend: Callable[[Document], None]) -> None:
    """Let `amend` complete the app's OpenAPI document once, when it is first generated."""
    generate = app.openapi

    def openapi() -> Document:
        if app.openapi_schema is None:
            document = generate()
            amend(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete_openapi(app: FastAPI, *, answers: Mapping[Callable[..., Any], tuple[int, ...]]) -> None:
    """Declare every error an operation can answer as a `Problem` (`answers`: per dependency)."""

    def amend(document: Document) -> None:
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(Problem=PROBLEM_SCHEMA, ValidationIssue=VALIDATION_ISSUE_SCHEMA)
        for route in api_routes(app):
            statuses = _answered(route.dependant, answers)
            for method in route.methods:
                operation = document["paths"][route.path][method.lower()]
                _complete(operation, route.path, statuses)
                _plain_optional_body(operation)
        _drop_unused(document, ("HTTPValidationError", "ValidationError"))

    amend_openapi(app, amend)


@dataclass(frozen=True)
class DocumentedRoute:
    """A route of the OpenAPI document, as included in the app (prefix and router dependencies)."""

    path: str
    methods: frozenset[str]
    operation_id: str | None
    dependant: Dependant


def api_routes(app: FastAPI) -> Iterator[DocumentedRoute]:
    """Yield the routes the app's OpenAPI document describes."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            path, methods = context.path_format or "", frozenset(context.methods or ())
            yield DocumentedRoute(path, methods, context.operation_id, context.dependant)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _answered(dependant: Dependant, answers: Mapping[Callable[..., Any], tuple[int, ...]]) -> set[int]:
    calls = set(_calls(dependant))
    return {status for call, statuses in answers.items() if call in calls for status in statuses}


def _complete(operation: dict[str, Any], path: str, statuses: set[int]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    statuses = statuses | {500}
    if "requestBody" in operation:
        statuses.add(413)
    if "/v1/" in path:
        statuses.add(503)
    for status in statuses:
        responses.setdefault(str(status), {})
    for code, response in responses.items():
        if code.isdigit() and int(code) >= 400 and _is_problem(response):
            described = response.get("description")
            response.update(problem_response(int(code)))
            if described and described not in _GENERATED_DESCRIPTIONS:
                response["description"] = described
    operation["responses"] = dict(sorted(responses.items()))


def _plain_optional_body(operation: dict[str, Any]) -> None:
    """Say an optional body's schema alone: it may be left out, so `null` adds only a trap for generators."""
    body = operation.get("requestBody")
    if body is None or body.get("required"):
        return
    for media in body["content"].values():
        choices = media["schema"].get("anyOf", [])
        if len(choices) == 2 and {"type": "null"} in choices:
            media["schema"] = next(choice for choice in choices if choice != {"type": "null"})


def _is_problem(response: dict[str, Any]) -> bool:
    """Whether a declared error response is (or says nothing against being) a problem body."""
    content: dict[str, Any] = response.get("content") or {}
    if not content or set(content) == {PROBLEM_MEDIA_TYPE}:
        return True
    return set(content) == {"application/json"} and content["application/json"].get("schema") == {
        "$ref": _FASTAPI_VALIDATION
    }


def _drop_unused(document: Document, names: tuple[str, ...]) -> None:
    """Remove schemas nothing refers to any more (FastAPI's validation error, replaced)."""
    schemas = document["components"]["schemas"]
    for name in names:
        if name in schemas:
            kept = schemas.pop(name)
            if f'"#/components/schemas/{name}"' in json.dumps(document):
                schemas[name] = kept
