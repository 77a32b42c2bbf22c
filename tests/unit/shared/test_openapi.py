"""The OpenAPI documents client generators read: explicit operationIds, problem bodies, media types."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from fastapi import FastAPI
from openapi_spec_validator import validate

from dimm.platform import SERVICES, build_service
from shared.errors import PROBLEM_MEDIA_TYPE
from shared.openapi import PROBLEM_REF, api_routes

CAMEL_CASE = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)+$")
#: The error bodies that are not problems: RFC 6749's on the token endpoint, and readiness's own.
NOT_PROBLEMS = {
    ("post", "/assessment/v1/oauth/token", "400"),
    ("post", "/assessment/v1/oauth/token", "401"),
    ("post", "/assessment/v1/oauth/token", "429"),
} | {("get", f"/{name}/readyz", "503") for name in SERVICES}
# A report link opened in a browser: refusals are a French page for people (JSON for programs).
NOT_PROBLEMS |= {
    ("get", f"/scoring/v1/diagnostics/{{diagnostic_id}}/{page}", "401") for page in ("report", "report.pdf")
}
HTML_PAGES = {"getReport", "getStudyResultsPage", "getWatchPage"}
CSV_EXPORTS = {"exportDiagnosticCsv", "exportScorecardCsv", "exportStudyResultsCsv"}


@cache
def app(name: str) -> FastAPI:
    return build_service(name, environment="development")


def operations(name: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in app(name).openapi()["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def every_operation() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name in SERVICES:
        yield from operations(name)


def by_id(operation_id: str) -> dict[str, Any]:
    return next(op for _, _, op in every_operation() if op["operationId"] == operation_id)


class TestOperationIds:
    @pytest.mark.parametrize("name", list(SERVICES))
    def test_every_route_chooses_its_own(self, name: str) -> None:
        document = app(name).openapi()
        for route in api_routes(app(name)):
            for method in route.methods:
                chosen = route.operation_id
                assert chosen, f"{method} {route.path} has no explicit operation_id"
                assert document["paths"][route.path][method.lower()]["operationId"] == chosen

    def test_they_are_camel_case_and_unique_across_the_platform(self) -> None:
        ids = [operation["operationId"] for _, _, operation in every_operation()]
        assert [i for i in ids if not CAMEL_CASE.match(i)] == []
        assert sorted(i for i in set(ids) if ids.count(i) > 1) == []
        assert {"createDiagnostic", "getScorecard", "issueToken", "getAssessmentHealth"} <= set(ids)


class TestProblems:
    def test_the_problem_schema_is_rfc_9457_with_its_validation_issues(self) -> None:
        schemas = app("assessment").openapi()["components"]["schemas"]
        problem = schemas["Problem"]
        assert set(problem["properties"]) == {"type", "title", "status", "detail", "instance", "errors"}
        assert problem["required"] == ["type", "title", "status", "detail"]
        assert problem["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/ValidationIssue"}
        assert schemas["ValidationIssue"]["required"] == ["path", "message", "type"]
        assert "HTTPValidationError" not in schemas

    def test_every_error_response_is_a_problem_but_the_token_endpoint_s_and_readiness(self) -> None:
        others = set()
        for method, path, operation in every_operation():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                if response.get("content") != {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}:
                    others.add((method, path, status))
                assert not response["description"].startswith(("Additional", "Validation")), (path, status)
        assert others == NOT_PROBLEMS

    def test_every_operation_declares_the_errors_its_guards_and_middleware_answer(self) -> None:
        for method, path, operation in every_operation():
            declared = set(operation["responses"])
            expected = {"500"}
            if {"HTTPBearer": []} in operation.get("security", []):
                expected.add("401")
            if "requestBody" in operation:
                expected.add("413")
            if "/v1/" in path:
                expected.add("503")
            assert expected <= declared, f"{method.upper()} {path} lacks {expected - declared}"

    @pytest.mark.parametrize(
        "operation_id",
        [
            "createAccount",
            "publishModelVersion",
            "requestProbes",
            "createStudy",
            "publishSnapshot",
            "createNotice",
        ],
    )
    def test_the_operator_s_routes_can_be_throttled(self, operation_id: str) -> None:
        assert {"401", "403", "429"} <= set(by_id(operation_id)["responses"])

    def test_the_token_endpoint_answers_its_own_errors_and_problems_for_the_rest(self) -> None:
        responses = by_id("issueToken")["responses"]
        for status in ("400", "401", "429"):
            assert responses[status]["content"] == {
                "application/json": {"schema": {"$ref": "#/components/schemas/OAuthErrorBody"}}
            }
        for status in ("413", "500", "503"):
            assert responses[status]["content"] == {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
        assert "Retry-After" in responses["503"]["headers"]


class TestMediaTypes:
    def test_csv_exports_say_text_csv_and_nothing_else(self) -> None:
        exports = {op["operationId"]: op for _, path, op in every_operation() if path.endswith(".csv")}
        assert set(exports) == CSV_EXPORTS
        for operation in exports.values():
            assert set(operation["responses"]["200"]["content"]) == {"text/csv"}

    def test_pages_say_text_html_and_nothing_else(self) -> None:
        pages = {
            op["operationId"]: op
            for _, _, op in every_operation()
            if "text/html" in op["responses"].get("200", {}).get("content", {})
        }
        assert set(pages) == HTML_PAGES
        for operation in pages.values():
            assert set(operation["responses"]["200"]["content"]) == {"text/html"}

    @pytest.mark.parametrize("name", list(SERVICES))
    def test_metrics_say_text_plain(self, name: str) -> None:
        metrics = by_id(f"get{name.capitalize()}Metrics")
        assert set(metrics["responses"]["200"]["content"]) == {"text/plain"}


def test_an_optional_body_is_its_schema_alone_without_a_null_alternative() -> None:
    body = by_id("submitDiagnostic")["requestBody"]
    assert not body.get("required")
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SubmitBody"}


@pytest.mark.parametrize("name", list(SERVICES))
def test_each_document_is_valid_openapi(name: str) -> None:
    validate(app(name).openapi())
