"""Typed clients generated from the services' OpenAPI (openapi-python-client) run a whole flow.

The generator reads the apps' own documents, offline, into a temporary folder; nothing generated
is kept. The clients talk to the real apps in process, on the real broker and database.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType

from shared.model.editions import SME_PROFILE
from tests.integration.conftest import TOKEN

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
BASE_URL = "http://test"


def generate_client(document: dict[str, Any], package: str, folder: Path) -> None:
    """Generate a client package from an OpenAPI document; fail on any warning of the generator."""
    source = folder / f"{package}.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    config = Config.from_sources(
        ConfigFile(
            project_name_override=package,
            package_name_override=package,
            post_hooks=[],
            # The report's PDF: the generator reads binary bodies only as octet streams (its own advice).
            content_type_overrides={"application/pdf": "application/octet-stream"},
        ),
        MetaType.NONE,
        source,
        "utf-8",
        False,
        folder / package,
    )
    problems = generate(config=config)
    assert not problems, [f"{p.header}: {p.detail}" for p in problems]


@pytest.fixture(scope="module")
def clients(app: FastAPI, scoring: FastAPI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Generate the assessment and scoring clients and make them importable for this module."""
    folder = tmp_path_factory.mktemp("generated")
    generate_client(app.openapi(), "dimm_assessment_client", folder)
    generate_client(scoring.openapi(), "dimm_scoring_client", folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(folder))
        yield str(folder)
    for name in [n for n in sys.modules if n.startswith(("dimm_assessment_client", "dimm_scoring_client"))]:
        del sys.modules[name]


def api(package: str, operation: str) -> Any:
    """Import a generated operation module, e.g. `api("dimm_scoring_client", "scorecards.get_scorecard")`."""
    return importlib.import_module(f"{package}.api.{operation}")


def assessment(operation: str) -> Any:
    return api("dimm_assessment_client", operation)


def models(package: str = "dimm_assessment_client") -> Any:
    return importlib.import_module(f"{package}.models")


def connect(app: FastAPI, token: str | None = None, package: str = "dimm_assessment_client") -> Any:
    """Return a generated client talking to the app in process (authenticated when given a token)."""
    module = importlib.import_module(f"{package}.client")
    options: dict[str, Any] = {
        "base_url": BASE_URL,
        "raise_on_unexpected_status": True,  # a status the document does not declare fails the test
        "httpx_args": {"transport": httpx.ASGITransport(app=app)},
    }
    if token is None:
        return module.Client(**options)
    return module.AuthenticatedClient(token=token, **options)


async def _tenant_token(app: FastAPI) -> str:
    """Open an account and give it a key (operator), then exchange the key for a token."""
    m = models()
    operator = connect(app, TOKEN)
    account = await assessment("accounts_and_access.create_account").asyncio(
        client=operator, body=m.AccountCreate(name="Cabinet typé")
    )
    assert isinstance(account, m.AccountView)
    key = await assessment("accounts_and_access.create_account_api_key").asyncio(
        account.account_id, client=operator, body=m.ApiKeyCreate(name="generated client")
    )
    assert isinstance(key, m.IssuedKeyView)
    body = m.IssueTokenBody(
        grant_type=m.IssueTokenBodyGrantType.CLIENT_CREDENTIALS,
        client_id=key.client_id,
        client_secret=key.client_secret,
    )
    token = await assessment("accounts_and_access.issue_token").asyncio(client=connect(app), body=body)
    assert isinstance(token, m.TokenView), token
    return str(token.access_token)


def _organisation(**changes: Any) -> Any:
    m = models()
    fields = {
        "name": "Boulangerie typée",
        "sector": "commerce",
        "headcount": 12,
        "region": "bretagne",
        "organisation_type": m.OrganisationCreateOrganisationType.ENTREPRISE,
    }
    return m.OrganisationCreate(**{**fields, **changes})


async def _scorecard(scoring: FastAPI, token: str, diagnostic_id: str) -> Any:
    """Read the scorecard through the generated scoring client as soon as it exists (30 s at most)."""
    client = connect(scoring, token, package="dimm_scoring_client")
    read = api("dimm_scoring_client", "scorecards.get_scorecard")
    deadline = asyncio.get_running_loop().time() + 30
    while asyncio.get_running_loop().time() < deadline:
        response = await read.asyncio_detailed(diagnostic_id, client=client)
        if response.status_code == 200:
            return response.parsed
        assert response.status_code == 404, response.content
        await asyncio.sleep(0.2)
    pytest.fail("the diagnostic was not scored within 30 s")


class TestAWholeFlow:
    async def test_account_token_organisation_diagnostic_answers_submission_and_scorecard(
        self, clients: str, app: FastAPI, scoring: FastAPI
    ) -> None:
        m = models()
        token = await _tenant_token(app)
        tenant = connect(app, token)
        organisation = await assessment("organisations.register_organisation").asyncio(
            client=tenant, body=_organisation()
        )
        assert isinstance(organisation, m.OrganisationView), organisation
        diagnostic = await assessment("diagnostics.create_diagnostic").asyncio(
            organisation.organisation_id, client=tenant, body=m.DiagnosticCreate(scope="pme-10-priorites")
        )
        assert isinstance(diagnostic, m.DiagnosticView), diagnostic
        invited = await assessment("diagnostics.invite_respondent").asyncio(
            diagnostic.diagnostic_id, client=tenant, body=m.RespondentCreate(name="Claire", role="direction")
        )
        assert isinstance(invited, m.RespondentInvitation), invited
        for n, code in enumerate(SME_PROFILE):
            answer = await assessment("diagnostics.save_answer").asyncio(
                diagnostic.diagnostic_id,
                invited.respondent.respondent_id,
                code,
                client=tenant,
                body=m.AnswerBody(level=n % 6),
            )
            assert isinstance(answer, m.AnswerView), answer
        submitted = await assessment("diagnostics.submit_diagnostic").asyncio(
            diagnostic.diagnostic_id, client=tenant
        )
        assert isinstance(submitted, m.DiagnosticView), submitted
        assert submitted.status == "submitted"
        scorecard = await _scorecard(scoring, token, diagnostic.diagnostic_id)
        assert isinstance(scorecard, models("dimm_scoring_client").ScorecardView)
        assert scorecard.diagnostic_id == diagnostic.diagnostic_id
        assert 0 <= scorecard.overall.score <= 5


class TestErrorsAreTypedProblems:
    async def test_the_schema_and_the_rules_refuse_with_the_same_problem(
        self, clients: str, app: FastAPI
    ) -> None:
        m = models()
        tenant = connect(app, await _tenant_token(app))
        register = assessment("organisations.register_organisation")
        by_schema = await register.asyncio(client=tenant, body=_organisation(headcount=-1))
        by_rules = await register.asyncio(client=tenant, body=_organisation(sector="atlantide"))
        for problem in (by_schema, by_rules):
            assert isinstance(problem, m.Problem), problem
            assert (problem.status, problem.type_) == (422, "https://dimm.dev/problems/invalid-input")
            assert all(isinstance(issue, m.ValidationIssue) for issue in problem.errors)
        assert [(e.path, e.type_) for e in by_schema.errors] == [("headcount", "greater_than_equal")]
        assert [(e.path, e.type_) for e in by_rules.errors] == [("sector", "invalid_input")]

    async def test_a_missing_token_is_a_typed_401_problem(self, clients: str, app: FastAPI) -> None:
        anonymous = connect(app)
        listed = await assessment("organisations.list_organisations").asyncio(client=anonymous)
        assert isinstance(listed, models().Problem)
        assert listed.status == 401
