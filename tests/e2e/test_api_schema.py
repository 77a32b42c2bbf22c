"""Schemathesis over the assessment service's OpenAPI: no 5xx, no response that breaks its schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from dimm.embedded import free_port, start_service, wait_ready
from shared.auth import generate_key_pair
from tests.stack import embedded_backend

pytestmark = pytest.mark.e2e

OPERATOR = "schemathesis-operator-" + uuid.uuid4().hex
PRIVATE_KEY, PUBLIC_KEY = generate_key_pair()


@pytest.fixture(scope="module")
def assessment_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the assessment service alone, as its own process, on the embedded stack."""
    log_path = Path(tmp_path_factory.mktemp("schemathesis")) / "assessment.log"
    with embedded_backend() as backend, open(log_path, "ab") as log:
        port = free_port()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": backend.kafka_bootstrap_servers,
            "MONGODB_URL": backend.mongodb_url,
            "DIMM_ENVIRONMENT": "test",
            "DIMM_ASSESSMENT_ADMIN_TOKEN": OPERATOR,
            "DIMM_ASSESSMENT_JWT_PRIVATE_KEY": PRIVATE_KEY,
        }
        process = start_service("assessment", port=port, env=env, log=log)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, "assessment", process=process)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=15)
        assert b"Traceback" not in log_path.read_bytes(), f"the service logged an error: see {log_path}"


@pytest.fixture(scope="module")
def account_headers(assessment_url: str) -> dict[str, str]:
    """Create an account with every scope and return its bearer header."""
    operator = {"Authorization": f"Bearer {OPERATOR}"}
    with httpx.Client(base_url=assessment_url, timeout=10) as http:
        account = http.post("/assessment/v1/accounts", json={"name": "Fuzz"}, headers=operator).json()
        key = http.post(
            f"/assessment/v1/accounts/{account['account_id']}/api-keys", json={"name": "k"}, headers=operator
        ).json()
        token = http.post(
            "/assessment/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": key["client_id"],
                "client_secret": key["client_secret"],
            },
        ).json()["access_token"]
        organisation = {
            "name": "Org",
            "sector": "commerce",
            "headcount": 20,
            "region": "bretagne",
            "organisation_type": "entreprise",
        }
        http.post(
            "/assessment/v1/organisations", json=organisation, headers={"Authorization": f"Bearer {token}"}
        )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def api_schema(assessment_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{assessment_url}/assessment/openapi.json")


OPERATOR_PATHS = ("/assessment/v1/accounts", "/assessment/v1/ops")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _exercise(operation: schemathesis.APIOperation, url: str, account_headers: dict[str, str]) -> None:
    path = operation.path
    operator = path.startswith(OPERATOR_PATHS) or (operation.method.upper() == "PUT" and "/models/" in path)
    headers = {"Authorization": f"Bearer {OPERATOR}"} if operator else account_headers

    @given(case=operation.as_strategy())
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

    run()


def test_no_server_error_and_every_response_matches_its_schema(
    api_schema: schemathesis.BaseSchema, assessment_url: str, account_headers: dict[str, str]
) -> None:
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:
        try:
            _exercise(operation, assessment_url, account_headers)
        except Exception as exc:  # collect every operation's failure, then report them together
            failures[f"{operation.method.upper()} {operation.path}"] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{name}:\n{text}" for name, text in failures.items())
