"""Every error is rendered as an RFC 9457 problem body; a 500 only for the unforeseen."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from pydantic import BaseModel, Field
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    DuplicateKeyError,
    NetworkTimeout,
    NotPrimaryError,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from shared.openapi import PROBLEM_SCHEMA, VALIDATION_ISSUE_SCHEMA
from shared.problems import install_error_handlers
from shared.unit_of_work import TransientFailure

#: The Problem component of the OpenAPI documents, its ValidationIssue reachable from it.
VALIDATOR = Draft202012Validator(
    {**PROBLEM_SCHEMA, "components": {"schemas": {"ValidationIssue": VALIDATION_ISSUE_SCHEMA}}}
)


class Body(BaseModel):
    count: int = Field(ge=1)


def _commit_cut_off() -> PyMongoError:
    error = OperationFailure("connection closed during commitTransaction", code=None)
    error._add_error_label("UnknownTransactionCommitResult")
    return error


def _transaction_forgotten() -> PyMongoError:
    error = OperationFailure("Transaction with { txnNumber: 3 } has been aborted.", code=251)
    error._add_error_label("TransientTransactionError")
    return error


DATABASE_ERRORS: dict[str, PyMongoError] = {
    "reconnect": AutoReconnect("127.0.0.1:27017: connection refused"),
    "network-timeout": NetworkTimeout("127.0.0.1:27017: timed out"),
    "connection": ConnectionFailure("127.0.0.1:27017: connection closed"),
    "not-primary": NotPrimaryError("not primary"),
    "shutting-down": OperationFailure("interrupted at shutdown", code=11600),
    "commit-cut-off": _commit_cut_off(),
    "transaction-forgotten": _transaction_forgotten(),
    "duplicate-key": DuplicateKeyError("E11000 duplicate key error", code=11000),
    "bad-query": OperationFailure("unknown operator: $bogus", code=2),
}


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise/{kind}")
    async def raise_(kind: str) -> None:
        errors: dict[str, DomainError] = {
            "not-found": NotFound("No such thing."),
            "conflict": Conflict("Already there.", errors=[{"field": "version"}]),
            "invalid": InvalidInput("Bad value."),
            "forbidden": Forbidden("Not yours."),
            "unauthorized": Unauthorized("Who are you?"),
        }
        if kind == "bug":
            raise RuntimeError("secret internals")
        raise errors[kind]

    @app.get("/database-away")
    async def database_away() -> None:
        raise ServerSelectionTimeoutError("mongodb://secret-host:27017 did not answer")

    @app.get("/database/{kind}")
    async def database(kind: str) -> None:
        raise DATABASE_ERRORS[kind]

    @app.get("/lost-races")
    async def lost_races() -> None:
        raise TransientFailure("WriteConflict")

    @app.post("/things")
    async def create(body: Body) -> Body:
        if body.count % 2 == 0:
            raise InvalidInput(
                "The thing is not valid.", errors=[{"path": "count", "message": "must be odd"}]
            )
        return body

    @app.get("/things")
    async def things(limit: int = 10) -> list[Body]:
        return []

    return app


@pytest.fixture
def client() -> TestClient:
    return TestClient(_app(), raise_server_exceptions=False)


class TestDomainErrors:
    @pytest.mark.parametrize(
        ("kind", "status", "slug"),
        [
            ("not-found", 404, "not-found"),
            ("conflict", 409, "conflict"),
            ("invalid", 422, "invalid-input"),
            ("forbidden", 403, "forbidden"),
            ("unauthorized", 401, "unauthorized"),
        ],
    )
    def test_each_error_has_its_status_and_a_problem_body(
        self, client: TestClient, kind: str, status: int, slug: str
    ) -> None:
        response = client.get(f"/raise/{kind}")
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == status
        assert body["type"].endswith(f"/problems/{slug}")
        assert body["instance"] == f"/raise/{kind}"
        assert body["detail"]

    def test_listed_errors_keep_what_they_say_in_the_shape_every_issue_has(self, client: TestClient) -> None:
        assert client.get("/raise/conflict").json()["errors"] == [
            {"field": "version", "path": "", "message": "Already there.", "type": "conflict"}
        ]

    def test_unauthorized_asks_for_a_bearer_token(self, client: TestClient) -> None:
        assert client.get("/raise/unauthorized").headers["www-authenticate"] == "Bearer"


class TestOneShapeOfValidationErrors:
    """The request's schema and the service's rules refuse input with the same problem."""

    def test_the_schema_and_the_rules_give_the_same_problem(self, client: TestClient) -> None:
        by_schema = client.post("/things", json={"count": 0})
        by_rules = client.post("/things", json={"count": 2})
        for response in (by_schema, by_rules):
            assert response.status_code == 422
            assert response.headers["content-type"] == "application/problem+json"
            VALIDATOR.validate(response.json())
        assert {k: v for k, v in by_schema.json().items() if k not in ("detail", "errors")} == {
            k: v for k, v in by_rules.json().items() if k not in ("detail", "errors")
        }
        assert by_rules.json()["errors"] == [
            {"path": "count", "message": "must be odd", "type": "invalid_input"}
        ]

    @pytest.mark.parametrize(
        ("send", "path", "kind"),
        [
            ({"content": b"{not json", "headers": {"content-type": "application/json"}}, "", "json_invalid"),
            ({"json": {}}, "count", "missing"),
            ({"json": {"count": "many"}}, "count", "int_parsing"),
        ],
    )
    def test_each_schema_error_names_the_field_alone(
        self, client: TestClient, send: dict[str, Any], path: str, kind: str
    ) -> None:
        response = client.post("/things", **send)
        VALIDATOR.validate(response.json())
        assert [(e["path"], e["type"]) for e in response.json()["errors"]] == [(path, kind)]

    def test_a_refusal_that_lists_nothing_still_lists_one_issue(self, client: TestClient) -> None:
        body = client.get("/raise/invalid").json()
        VALIDATOR.validate(body)
        assert body["errors"] == [{"path": "", "message": "Bad value.", "type": "invalid_input"}]

    def test_a_query_parameter_is_named_by_itself(self, client: TestClient) -> None:
        body = client.get("/things", params={"limit": "x"}).json()
        assert [(e["path"], e["type"]) for e in body["errors"]] == [("limit", "int_parsing")]


class TestFrameworkErrors:
    def test_a_body_that_breaks_its_schema_is_a_422_listing_each_error(self, client: TestClient) -> None:
        response = client.post("/things", json={"count": 0})
        assert response.status_code == 422
        body = response.json()
        assert body["title"] == "Invalid input"
        assert body["errors"] == [
            {
                "path": "count",
                "message": "Input should be greater than or equal to 1",
                "type": "greater_than_equal",
            }
        ]

    def test_an_unknown_route_is_a_404_problem(self, client: TestClient) -> None:
        response = client.get("/nowhere")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    def test_an_unexpected_error_is_a_500_that_reveals_nothing(self, client: TestClient) -> None:
        response = client.get("/raise/bug")
        assert response.status_code == 500
        assert "secret internals" not in response.text
        assert response.json()["title"] == "Internal error"


class TestUnavailable:
    @pytest.mark.parametrize("path", ["/database-away", "/lost-races"])
    def test_a_dependency_out_of_reach_is_a_503_to_retry_not_a_500(
        self, client: TestClient, path: str
    ) -> None:
        response = client.get(path)
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"]
        assert "secret-host" not in response.text

    @pytest.mark.parametrize(
        "kind",
        [
            "reconnect",
            "network-timeout",
            "connection",
            "not-primary",
            "shutting-down",
            "commit-cut-off",
            "transaction-forgotten",
        ],
    )
    def test_a_database_error_that_means_unavailable_is_a_503_with_retry_after(
        self, client: TestClient, kind: str
    ) -> None:
        response = client.get(f"/database/{kind}")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["retry-after"]) > 0
        assert response.json()["type"].endswith("/problems/service-unavailable")

    @pytest.mark.parametrize("kind", ["duplicate-key", "bad-query"])
    def test_a_database_error_that_is_a_bug_stays_a_500(self, client: TestClient, kind: str) -> None:
        response = client.get(f"/database/{kind}")
        assert response.status_code == 500
        assert response.json()["title"] == "Internal error"
