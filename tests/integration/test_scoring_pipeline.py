"""Submit through the API → scorecard readable → scored event received; redelivery; dead letters."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.events.contracts import build_registry
from shared.events.contracts.assessment import DiagnosticSubmitted, OrganisationErased, OrganisationProfile
from shared.events.contracts.catalogue import ModelPublished
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed
from shared.events.envelope import Event, decode, encode, new_envelope
from shared.messaging.kafka import KafkaSender
from shared.messaging.topics import events_topic
from shared.model.editions import SME_PROFILE, shipped_edition
from tests.integration.conftest import (
    ORGANISATION,
    assert_private_page,
    new_tenant,
    records_with_subject,
    scorecard_of,
    submitted_diagnostic,
)
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
V1 = "/assessment/v1"
B1 = "/benchmark/v1"


class TestPipeline:
    async def test_submit_then_scorecard_then_scored_event_then_status(
        self, http: httpx.AsyncClient, scoring_http: httpx.AsyncClient, backend: Backend
    ) -> None:
        tenant = await new_tenant(http)
        levels = {code: 2 for code in SME_PROFILE} | {"SP1": 4}
        org, diag = await submitted_diagnostic(tenant, levels)
        card = await scorecard_of(scoring_http, tenant, diag)
        assert card["model_version"] == "2.0.0"
        assert card["scope"] == "pme-10-priorites"
        assert [i["code"] for i in card["indicators"]] == list(SME_PROFILE)
        assert card["method"][-1].endswith("« pme-10-priorites ».")

        records = await records_with_subject(backend, events_topic("scoring"), org)
        event = build_registry().payload(decode(records[0].headers, records[0].value))
        assert isinstance(event, DiagnosticScored)
        assert event.overall == pytest.approx(
            card["overall"]["weighted_sum"] / card["overall"]["coefficient_sum"]
        )
        assert {i.code: i.level for i in event.indicators} == levels
        assert b"Claire" not in records[0].value

        deadline = asyncio.get_running_loop().time() + 20
        while (await tenant.call("GET", f"{V1}/diagnostics/{diag}")).json()["status"] != "scored":
            assert asyncio.get_running_loop().time() < deadline, (
                "assessment never marked the diagnostic scored"
            )
            await asyncio.sleep(0.1)

    async def test_the_roadmap_names_only_the_next_levels_criteria_not_yet_met(
        self, http: httpx.AsyncClient, scoring_http: httpx.AsyncClient, backend: Backend
    ) -> None:
        tenant = await new_tenant(http)
        org = (await tenant.call("POST", f"{V1}/organisations", json=ORGANISATION)).json()["organisation_id"]
        diag = (
            await tenant.call(
                "POST", f"{V1}/organisations/{org}/diagnostics", json={"scope": "pme-10-priorites"}
            )
        ).json()["diagnostic_id"]
        invited = await tenant.call(
            "POST", f"{V1}/diagnostics/{diag}/respondents", json={"name": "Claire", "role": "direction"}
        )
        respondent = invited.json()["respondent"]["respondent_id"]
        sp1 = shipped_edition("2.0.0").indicator("SP1")
        assert sp1 is not None
        level1, level2 = sp1.levels[0].criteria, sp1.levels[1].criteria
        ticked = [c.id for c in level1] + [level2[0].id]
        for code in SME_PROFILE:
            body: dict[str, Any] = {"criteria_met": ticked} if code == "SP1" else {"level": 3}
            answered = await tenant.call(
                "PUT", f"{V1}/diagnostics/{diag}/respondents/{respondent}/answers/{code}", json=body
            )
            assert answered.status_code == 200, answered.text
        assert (await tenant.call("POST", f"{V1}/diagnostics/{diag}/submit")).status_code == 200

        card = await scorecard_of(scoring_http, tenant, diag)
        [action] = [a for a in card["roadmap"] if a["code"] == "SP1"]
        assert (action["level"], action["next_level"]) == (1, 2)
        assert action["criteria_ids"] == [c.id for c in level2[1:]]
        assert action["criteria"] == [c.text for c in level2[1:]]
        records = await records_with_subject(backend, events_topic("scoring"), org)
        event = build_registry().payload(decode(records[0].headers, records[0].value))
        assert isinstance(event, DiagnosticScored)
        [step] = [s for s in event.roadmap if s.code == "SP1"]
        assert [c.id for c in step.criteria] == [c.id for c in level2[1:]]
        report = await scoring_http.get(f"/scoring/v1/diagnostics/{diag}/report", headers=tenant.headers)
        assert_private_page(report)
        assert escape(level2[1].text) in report.text
        assert escape(level2[0].text) not in report.text

    async def test_progress_history_simulation_exports_and_report(
        self, http: httpx.AsyncClient, scoring_http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http)
        year_ago = (datetime.now(UTC) - timedelta(days=365)).date().isoformat()
        org, first = await submitted_diagnostic(tenant, dict.fromkeys(SME_PROFILE, 1), assessed_on=year_ago)
        await scorecard_of(scoring_http, tenant, first)
        diag = (
            await tenant.call(
                "POST", f"{V1}/organisations/{org}/diagnostics", json={"scope": "pme-10-priorites"}
            )
        ).json()
        invited = (
            await tenant.call(
                "POST",
                f"{V1}/diagnostics/{diag['diagnostic_id']}/respondents",
                json={"name": "Paul", "role": "DSI"},
            )
        ).json()
        for code in SME_PROFILE:
            await tenant.call(
                "PUT",
                f"{V1}/diagnostics/{diag['diagnostic_id']}/respondents/"
                f"{invited['respondent']['respondent_id']}/answers/{code}",
                json={"level": 3},
            )
        await tenant.call("POST", f"{V1}/diagnostics/{diag['diagnostic_id']}/submit")
        second = await scorecard_of(scoring_http, tenant, diag["diagnostic_id"])
        assert second["progress"]["previous_diagnostic_id"] == first
        assert second["progress"]["overall"] == 2.0

        history = (
            await scoring_http.get(f"/scoring/v1/organisations/{org}/history", headers=tenant.headers)
        ).json()
        assert [p["overall"] for p in history["points"]] == [1.0, 3.0]
        assert history["points"][0]["assessed_at"].startswith(year_ago)
        assert second["progress"]["previous_assessed_at"].startswith(year_ago)

        what_if = await scoring_http.post(
            f"/scoring/v1/diagnostics/{diag['diagnostic_id']}/simulations",
            json={"levels": {"SP1": 5}},
            headers=tenant.headers,
        )
        assert what_if.json()["overall"]["score"] > second["overall"]["score"]
        again = await scorecard_of(scoring_http, tenant, diag["diagnostic_id"])
        assert again["overall"] == second["overall"]
        outside = await scoring_http.post(
            f"/scoring/v1/diagnostics/{diag['diagnostic_id']}/simulations",
            json={"levels": {"OFC2": 5}},
            headers=tenant.headers,
        )
        assert outside.status_code == 422

        csv_export = await scoring_http.get(
            f"/scoring/v1/diagnostics/{first}/export.csv", headers=tenant.headers
        )
        assert csv_export.text.count("\n") == len(SME_PROFILE) + 1
        page = await scoring_http.get(f"/scoring/v1/diagnostics/{first}/report", headers=tenant.headers)
        assert page.headers["content-type"].startswith("text/html")
        assert "<svg" in page.text
        assert "Feuille de route" in page.text

    async def test_another_tenant_sees_no_scorecard(
        self, http: httpx.AsyncClient, scoring_http: httpx.AsyncClient
    ) -> None:
        owner, other = await new_tenant(http), await new_tenant(http)
        org, diag = await submitted_diagnostic(owner, dict.fromkeys(SME_PROFILE, 2))
        await scorecard_of(scoring_http, owner, diag)
        for url in (
            f"/scoring/v1/diagnostics/{diag}/scorecard",
            f"/scoring/v1/diagnostics/{diag}/report",
            f"/scoring/v1/organisations/{org}/history",
        ):
            assert (await scoring_http.get(url, headers=other.headers)).status_code == 404
        assert (await scoring_http.get(f"/scoring/v1/diagnostics/{diag}/scorecard")).status_code == 401


def _submitted(model_version: str) -> DiagnosticSubmitted:
    return DiagnosticSubmitted(
        diagnostic_id="dg_" + uuid.uuid4().hex[:12],
        organisation_id="org_" + uuid.uuid4().hex[:12],
        account_id="acc_x",
        profile=OrganisationProfile(
            sector="commerce", size_band="PME", region="bretagne", organisation_type="entreprise"
        ),
        model_id="dimm",
        model_version=model_version,
        scope="full",
        levels={"SP1": 2},
        not_applicable=[],
        divergences=[],
        submitted_at=datetime.now(UTC),
    )


async def _send(backend: Backend, event: DiagnosticSubmitted, *, times: int = 1) -> None:
    record = encode(new_envelope(event, source="/dimm/assessment", subject=event.organisation_id))
    sender = KafkaSender(backend.kafka_bootstrap_servers, client_id="test")
    await sender.start()
    try:
        for _ in range(times):
            await (
                await sender.send(
                    events_topic("assessment"), record.value, key=record.key, headers=record.headers
                )
            )
    finally:
        await sender.stop()


class TestAssessmentDate:
    async def test_an_assessment_date_in_the_future_is_a_422(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        org = (await tenant.call("POST", f"{V1}/organisations", json=ORGANISATION)).json()["organisation_id"]
        diag = (await tenant.call("POST", f"{V1}/organisations/{org}/diagnostics", json={})).json()[
            "diagnostic_id"
        ]
        tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
        response = await tenant.call(
            "POST", f"{V1}/diagnostics/{diag}/submit", json={"assessed_on": tomorrow}
        )
        assert response.status_code == 422


class TestDeliveryEdges:
    async def test_a_redelivered_submitted_event_creates_no_second_scorecard(
        self, scoring: FastAPI, backend: Backend
    ) -> None:
        event = _submitted("2.0.0")
        await _send(backend, event, times=3)
        records = await records_with_subject(backend, events_topic("scoring"), event.organisation_id)
        assert len(records) == 1
        await asyncio.sleep(1)
        assert (
            len(
                await records_with_subject(
                    backend, events_topic("scoring"), event.organisation_id, expected=2
                )
            )
            == 1
        )
        db = scoring.state.deps.runtime.db
        assert await db["scorecards"].count_documents({"_id": event.diagnostic_id}) == 1

    async def test_a_model_version_that_never_comes_is_waited_for_then_dead_lettered_and_reported(
        self, scoring: FastAPI, backend: Backend
    ) -> None:
        event = _submitted("9.9.9")
        await _send(backend, event)
        [failed] = await records_with_subject(backend, events_topic("scoring"), event.organisation_id)
        payload = build_registry().payload(decode(failed.headers, failed.value))
        assert isinstance(payload, DiagnosticScoringFailed)
        assert "model:dimm@9.9.9" in payload.reason
        letters = await records_with_subject(backend, "dimm.scoring.dlq", event.organisation_id)
        assert dict(letters[0].headers)["dlq_reason"] == b"dependency-timeout"
        db = scoring.state.deps.runtime.db
        assert await db["parked_events"].count_documents({"subject": event.organisation_id}) == 0


def _published(version: str) -> ModelPublished:
    model = shipped_edition("2.0.0").model_copy(update={"version": version})
    return ModelPublished.of(model, at=datetime.now(UTC))


async def _send_event(backend: Backend, event: Event, subject: str) -> None:
    record = encode(new_envelope(event, source="/dimm/assessment", subject=subject))
    sender = KafkaSender(backend.kafka_bootstrap_servers, client_id="test")
    await sender.start()
    try:
        await (
            await sender.send(
                events_topic("assessment"), record.value, key=record.key, headers=record.headers
            )
        )
    finally:
        await sender.stop()


class TestCausalDependencies:
    async def test_a_submission_read_before_its_model_version_is_scored_once_the_model_arrives(
        self, scoring: FastAPI, backend: Backend
    ) -> None:
        version = f"2.1.0-test.{uuid.uuid4().hex[:8]}"
        event = _submitted(version)
        await _send(backend, event)
        db = scoring.state.deps.runtime.db
        deadline = asyncio.get_running_loop().time() + 20
        while not await db["parked_events"].count_documents({"subject": event.organisation_id}):
            assert asyncio.get_running_loop().time() < deadline, "the submission was never parked"
            await asyncio.sleep(0.05)
        await _send_event(backend, _published(version), "dimm")
        [scored] = await records_with_subject(backend, events_topic("scoring"), event.organisation_id)
        payload = build_registry().payload(decode(scored.headers, scored.value))
        assert isinstance(payload, DiagnosticScored)
        assert payload.model_version == version
        assert await db["scorecards"].count_documents({"_id": event.diagnostic_id}) == 1
        assert await db["parked_events"].count_documents({"subject": event.organisation_id}) == 0
        letters = await records_with_subject(backend, "dimm.scoring.dlq", event.organisation_id, expected=1)
        assert letters == []

    async def test_later_events_of_the_same_organisation_wait_behind_a_parked_one(
        self, scoring: FastAPI, backend: Backend
    ) -> None:
        version = f"2.1.0-test.{uuid.uuid4().hex[:8]}"
        event = _submitted(version)
        await _send(backend, event)
        erased = OrganisationErased(
            organisation_id=event.organisation_id, account_id=event.account_id, erased_at=datetime.now(UTC)
        )
        await _send_event(backend, erased, event.organisation_id)
        db = scoring.state.deps.runtime.db
        deadline = asyncio.get_running_loop().time() + 20
        while await db["parked_events"].count_documents({"subject": event.organisation_id}) < 2:
            assert asyncio.get_running_loop().time() < deadline, (
                "the erasure did not wait behind the submission"
            )
            await asyncio.sleep(0.05)
        await _send_event(backend, _published(version), "dimm")
        await records_with_subject(backend, events_topic("scoring"), event.organisation_id)
        while await db["parked_events"].count_documents({"subject": event.organisation_id}):
            assert asyncio.get_running_loop().time() < deadline + 20, "the queue was never resumed"
            await asyncio.sleep(0.05)
        # Scored first, then erased: in the order they were submitted, so nothing of it is left.
        assert await db["scorecards"].count_documents({"organisation_id": event.organisation_id}) == 0
