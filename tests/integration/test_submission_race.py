"""Answers racing a submission on the real database: the event is what is stored, nothing lands after."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime
from typing import Any

import httpx
import pytest

from shared.events.contracts import build_registry
from shared.events.contracts.assessment import DiagnosticSubmitted
from shared.events.envelope import decode
from shared.messaging.topics import events_topic
from shared.model.editions import SME_PROFILE
from tests.integration.conftest import ORGANISATION, Tenant, new_tenant, records_with_subject
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
V1 = "/assessment/v1"
ROUNDS, ANSWERS_PER_ROUND = 12, 8


async def _ready_to_submit(tenant: Tenant) -> tuple[str, str, str]:
    """Open a quick diagnostic and answer it completely; return organisation, diagnostic, respondent."""
    org = (await tenant.call("POST", f"{V1}/organisations", json=ORGANISATION)).json()["organisation_id"]
    diag = (
        await tenant.call("POST", f"{V1}/organisations/{org}/diagnostics", json={"scope": "pme-10-priorites"})
    ).json()["diagnostic_id"]
    invited = await tenant.call(
        "POST", f"{V1}/diagnostics/{diag}/respondents", json={"name": "Claire", "role": "direction"}
    )
    respondent = invited.json()["respondent"]["respondent_id"]
    for code in SME_PROFILE:
        answered = await _answer(tenant, diag, respondent, code, 1)
        assert answered.status_code == 200, answered.text
    return org, diag, respondent


async def _answer(tenant: Tenant, diag: str, respondent: str, code: str, level: int) -> httpx.Response:
    return await tenant.call(
        "PUT", f"{V1}/diagnostics/{diag}/respondents/{respondent}/answers/{code}", json={"level": level}
    )


async def _after(delay: float, call: Any) -> httpx.Response:
    await asyncio.sleep(delay)
    response: httpx.Response = await call
    return response


async def _race(
    tenant: Tenant, diag: str, respondent: str, rng: random.Random
) -> tuple[httpx.Response, list[httpx.Response]]:
    # Answers spread a little wider than the submission's start: with one write per answer they are
    # fast, and those that all started before the submission could all land before it.
    answers = [
        _after(
            rng.uniform(0, 0.15),
            _answer(tenant, diag, respondent, rng.choice(SME_PROFILE), rng.randint(0, 5)),
        )
        for _ in range(ANSWERS_PER_ROUND)
    ]
    submission = _after(rng.uniform(0, 0.05), tenant.call("POST", f"{V1}/diagnostics/{diag}/submit"))
    submitted, *answered = await asyncio.gather(submission, *answers)
    return submitted, answered


async def _submitted_event(backend: Backend, org: str) -> DiagnosticSubmitted:
    records = await records_with_subject(backend, events_topic("assessment"), org, expected=2)
    events = [build_registry().payload(decode(r.headers, r.value)) for r in records]
    [submitted] = [e for e in events if isinstance(e, DiagnosticSubmitted)]
    return submitted


class TestAnswersRacingASubmission:
    async def test_the_submitted_event_equals_the_stored_answers_and_no_answer_lands_after(
        self, http: httpx.AsyncClient, backend: Backend
    ) -> None:
        tenant, rng = await new_tenant(http), random.Random(20261129)
        refused = 0
        for _ in range(ROUNDS):
            org, diag, respondent = await _ready_to_submit(tenant)
            submitted, answered = await _race(tenant, diag, respondent, rng)
            assert submitted.status_code == 200, submitted.text
            assert {r.status_code for r in answered} <= {200, 409}, [r.text for r in answered]
            refused += sum(r.status_code == 409 for r in answered)

            event = await _submitted_event(backend, org)
            stored = (await tenant.call("GET", f"{V1}/diagnostics/{diag}/answers")).json()["answers"]
            assert event.levels == {a["indicator"]: a["level"] for a in stored}
            assert all(datetime.fromisoformat(a["updated_at"]) <= event.submitted_at for a in stored)
            for accepted in (r.json() for r in answered if r.status_code == 200):
                assert datetime.fromisoformat(accepted["updated_at"]) <= event.submitted_at

            late = await _answer(tenant, diag, respondent, "SP1", 5)
            assert late.status_code == 409
        # The race was real: some answers came too late and were refused, not silently lost.
        assert refused > 0
