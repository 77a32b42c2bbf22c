"""Organisations and diagnostics end to end on the real stack: answering, consolidating, submitting."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest

from shared.events.contracts import build_registry
from shared.events.contracts.assessment import DiagnosticSubmitted, OrganisationErased
from shared.events.envelope import decode
from shared.messaging.topics import events_topic
from shared.model.editions import SME_PROFILE, shipped_edition
from tests.integration.conftest import ORGANISATION, Tenant, new_tenant, records_with_subject
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
V1 = "/assessment/v1"


async def _organisation(tenant: Tenant, **changes: Any) -> str:
    response = await tenant.call("POST", f"{V1}/organisations", json={**ORGANISATION, **changes})
    assert response.status_code == 201, response.text
    return str(response.json()["organisation_id"])


async def _diagnostic(tenant: Tenant, org: str, scope: str = "pme-10-priorites") -> dict[str, Any]:
    response = await tenant.call("POST", f"{V1}/organisations/{org}/diagnostics", json={"scope": scope})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _respondent(tenant: Tenant, diag: str, name: str, role: str) -> tuple[str, dict[str, str]]:
    body = (
        await tenant.call("POST", f"{V1}/diagnostics/{diag}/respondents", json={"name": name, "role": role})
    ).json()
    return body["respondent"]["respondent_id"], {"Authorization": f"Bearer {body['token']}"}


async def _answer(
    http: httpx.AsyncClient, headers: dict[str, str], diag: str, resp: str, code: str, body: dict[str, Any]
) -> httpx.Response:
    return await http.put(
        f"{V1}/diagnostics/{diag}/respondents/{resp}/answers/{code}", json=body, headers=headers
    )


class TestOrganisations:
    async def test_the_headcount_gives_the_size_band(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        org = await _organisation(tenant, headcount=300)
        assert (await tenant.call("GET", f"{V1}/organisations/{org}")).json()["size_band"] == "ETI"

    async def test_every_invalid_field_is_listed(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        bad = {**ORGANISATION, "sector": "spatial", "region": "atlantide", "siren": "123456789"}
        response = await tenant.call("POST", f"{V1}/organisations", json=bad)
        assert response.status_code == 422
        assert {e["path"] for e in response.json()["errors"]} == {"sector", "region", "siren"}

    async def test_pages_follow_the_cursor(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        created = {await _organisation(tenant, name=f"Org {i}") for i in range(5)}
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await tenant.call("GET", f"{V1}/organisations", params=params)).json()
            seen += [o["organisation_id"] for o in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(created)
        assert (await tenant.call("GET", f"{V1}/organisations", params={"cursor": "%%%"})).status_code == 422

    async def test_an_update_changes_the_profile(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        org = await _organisation(tenant)
        response = await tenant.call(
            "PATCH", f"{V1}/organisations/{org}", json={"headcount": 6000, "siren": None}
        )
        assert response.json()["size_band"] == "GE"
        assert response.json()["siren"] is None

    async def test_erasure_removes_everything_and_tells_the_other_services(
        self, http: httpx.AsyncClient, backend: Backend
    ) -> None:
        tenant = await new_tenant(http)
        org = await _organisation(tenant)
        diag = (await _diagnostic(tenant, org))["diagnostic_id"]
        assert (await tenant.call("DELETE", f"{V1}/organisations/{org}")).status_code == 204
        assert (await tenant.call("GET", f"{V1}/organisations/{org}")).status_code == 404
        assert (await tenant.call("GET", f"{V1}/diagnostics/{diag}")).status_code == 404
        records = await records_with_subject(backend, events_topic("assessment"), org, expected=2)
        types = [dict(r.headers)["ce_type"].decode() for r in records]
        assert types == ["dimm.assessment.organisation.registered.v1", OrganisationErased.event_type]


class TestOpening:
    async def test_the_applicable_indicators_are_frozen(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        small = await _organisation(tenant, headcount=5)
        body = await _diagnostic(tenant, small, scope="full")
        model = shipped_edition("2.0.0")
        expected = [
            p.indicator.code
            for p in model.places()
            if p.indicator.applicability.applies_to("TPE", "entreprise")
        ]
        assert [i["code"] for i in body["indicators"]] == expected
        assert body["model_version"] == "2.0.0"
        assert body["completeness"]["applicable"] == len(expected)

    async def test_a_profile_scope_covers_only_its_indicators(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        body = await _diagnostic(tenant, await _organisation(tenant))
        assert [i["code"] for i in body["indicators"]] == list(SME_PROFILE)

    @pytest.mark.parametrize("body", [{"model_version": "9.9.9"}, {"scope": "nope"}, {"model_id": "unknown"}])
    async def test_an_unknown_version_or_scope_is_a_422(
        self, http: httpx.AsyncClient, body: dict[str, str]
    ) -> None:
        tenant = await new_tenant(http)
        org = await _organisation(tenant)
        assert (
            await tenant.call("POST", f"{V1}/organisations/{org}/diagnostics", json=body)
        ).status_code == 422


class TestAnswers:
    async def test_criteria_met_give_the_level_cumulatively(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag = (await _diagnostic(tenant, await _organisation(tenant)))["diagnostic_id"]
        resp, _ = await _respondent(tenant, diag, "Claire", "direction")
        sp1 = shipped_edition("2.0.0").indicator("SP1")
        assert sp1 is not None
        met = [c.id for lvl in sp1.levels if lvl.level <= 3 for c in lvl.criteria] + [
            sp1.levels[4].criteria[0].id
        ]
        missing_one = [c for c in met if c != sp1.levels[1].criteria[0].id]
        full = await _answer(http, tenant.headers, diag, resp, "SP1", {"criteria_met": met})
        assert full.json()["level"] == 3
        gap = await _answer(http, tenant.headers, diag, resp, "SP1", {"criteria_met": missing_one})
        assert gap.json()["level"] == 1

    async def test_a_put_is_idempotent(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag = (await _diagnostic(tenant, await _organisation(tenant)))["diagnostic_id"]
        resp, _ = await _respondent(tenant, diag, "Claire", "direction")
        body = {
            "level": 2,
            "comment": "plan en cours",
            "evidence": [{"kind": "url", "value": "https://intranet.example/plan"}],
        }
        for _ in range(2):
            assert (await _answer(http, tenant.headers, diag, resp, "SP1", body)).status_code == 200
        answers = (await tenant.call("GET", f"{V1}/diagnostics/{diag}/answers")).json()["answers"]
        assert len(answers) == 1
        assert answers[0]["evidence"][0]["value"] == "https://intranet.example/plan"

    @pytest.mark.parametrize(
        ("code", "body"),
        [
            ("SP1", {"level": 2, "criteria_met": ["SP1.1.a"]}),
            ("SP1", {}),
            ("SP1", {"level": 6}),
            ("SP1", {"not_applicable": True}),
            ("SP1", {"criteria_met": ["TIA3.1.a"]}),
            ("SP1", {"level": 1, "evidence": [{"kind": "url", "value": "not a url"}]}),
            ("SP1", {"level": 1, "evidence": [{"kind": "note", "value": "x", "criterion_id": "ZZ9.1.a"}]}),
        ],
    )
    async def test_a_bad_answer_is_a_422(
        self, http: httpx.AsyncClient, code: str, body: dict[str, Any]
    ) -> None:
        tenant = await new_tenant(http)
        diag = (await _diagnostic(tenant, await _organisation(tenant)))["diagnostic_id"]
        resp, _ = await _respondent(tenant, diag, "Claire", "direction")
        response = await _answer(http, tenant.headers, diag, resp, code, body)
        assert response.status_code == 422, response.text

    async def test_an_indicator_outside_the_scope_is_a_404(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag = (await _diagnostic(tenant, await _organisation(tenant)))["diagnostic_id"]
        resp, _ = await _respondent(tenant, diag, "Claire", "direction")
        assert (await _answer(http, tenant.headers, diag, resp, "OFC2", {"level": 1})).status_code == 404

    async def test_na_where_the_model_allows_it(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag = (await _diagnostic(tenant, await _organisation(tenant), scope="full"))["diagnostic_id"]
        resp, _ = await _respondent(tenant, diag, "Claire", "direction")
        response = await _answer(http, tenant.headers, diag, resp, "OFC2", {"not_applicable": True})
        assert response.status_code == 200
        state = (await tenant.call("GET", f"{V1}/diagnostics/{diag}")).json()
        ofc2 = next(i for i in state["indicators"] if i["code"] == "OFC2")
        assert ofc2["not_applicable"] is True


class TestRespondentTokens:
    async def test_a_respondent_answers_for_themselves_only(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag = (await _diagnostic(tenant, await _organisation(tenant)))["diagnostic_id"]
        claire, claire_auth = await _respondent(tenant, diag, "Claire", "direction")
        paul, _ = await _respondent(tenant, diag, "Paul", "DSI")
        assert (await _answer(http, claire_auth, diag, claire, "SP1", {"level": 2})).status_code == 200
        assert (await _answer(http, claire_auth, diag, paul, "SP1", {"level": 2})).status_code == 403
        assert (await http.post(f"{V1}/diagnostics/{diag}/submit", headers=claire_auth)).status_code == 403
        assert (
            await http.post(f"{V1}/organisations", json=ORGANISATION, headers=claire_auth)
        ).status_code == 403
        mine = (await http.get(f"{V1}/diagnostics/{diag}/answers", headers=claire_auth)).json()["answers"]
        assert [a["respondent_id"] for a in mine] == [claire]

    async def test_a_respondent_token_reaches_no_other_diagnostic(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        org = await _organisation(tenant)
        first = (await _diagnostic(tenant, org))["diagnostic_id"]
        second = (await _diagnostic(tenant, org))["diagnostic_id"]
        resp, auth = await _respondent(tenant, first, "Claire", "direction")
        assert (await http.get(f"{V1}/diagnostics/{second}", headers=auth)).status_code == 404
        assert (await _answer(http, auth, second, resp, "SP1", {"level": 1})).status_code == 404

    async def test_a_revoked_respondent_is_refused(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag = (await _diagnostic(tenant, await _organisation(tenant)))["diagnostic_id"]
        resp, auth = await _respondent(tenant, diag, "Claire", "direction")
        assert (await tenant.call("DELETE", f"{V1}/diagnostics/{diag}/respondents/{resp}")).status_code == 204
        assert (await _answer(http, auth, diag, resp, "SP1", {"level": 1})).status_code == 401


class TestConsolidation:
    async def test_lower_median_divergence_and_validated_level(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag = (await _diagnostic(tenant, await _organisation(tenant)))["diagnostic_id"]
        for name, level in (("A", 1), ("B", 4), ("C", 3), ("D", 2)):
            resp, auth = await _respondent(tenant, diag, name, "métier")
            await _answer(http, auth, diag, resp, "SP1", {"level": level})
        state = (await tenant.call("GET", f"{V1}/diagnostics/{diag}")).json()
        sp1 = next(i for i in state["indicators"] if i["code"] == "SP1")
        assert (sp1["level"], sp1["respondent_levels"], sp1["divergent"]) == (2, [1, 2, 3, 4], True)
        assert state["divergences"] == ["SP1"]
        assert state["completeness"]["settled"] == 1
        assert state["completeness"]["per_lever"]["S"] == {"settled": 1, "applicable": 2}

        validated = await tenant.call("PUT", f"{V1}/diagnostics/{diag}/validations/SP1", json={"level": 3})
        sp1 = next(i for i in validated.json()["indicators"] if i["code"] == "SP1")
        assert (sp1["level"], sp1["source"]) == (3, "validated")


class TestSubmission:
    async def test_refused_listing_every_missing_indicator(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag = (await _diagnostic(tenant, await _organisation(tenant)))["diagnostic_id"]
        resp, _ = await _respondent(tenant, diag, "Claire", "direction")
        await _answer(http, tenant.headers, diag, resp, "SP1", {"level": 2})
        response = await tenant.call("POST", f"{V1}/diagnostics/{diag}/submit")
        assert response.status_code == 409
        assert [e["indicator"] for e in response.json()["errors"]] == list(SME_PROFILE[1:])

    async def test_success_emits_what_scoring_needs_and_nothing_more(
        self, http: httpx.AsyncClient, backend: Backend
    ) -> None:
        tenant = await new_tenant(http)
        org = await _organisation(tenant)
        diag = (await _diagnostic(tenant, org))["diagnostic_id"]
        a, a_auth = await _respondent(tenant, diag, "Claire Secret", "direction")
        b, b_auth = await _respondent(tenant, diag, "Paul", "DSI")
        for n, code in enumerate(SME_PROFILE):
            body = {
                "level": n % 6,
                "comment": "commentaire confidentiel",
                "evidence": [{"kind": "note", "value": "preuve confidentielle"}],
            }
            await _answer(http, a_auth, diag, a, code, body)
            await _answer(http, b_auth, diag, b, code, {"level": min(5, n % 6 + 2)})
        submitted = await tenant.call("POST", f"{V1}/diagnostics/{diag}/submit")
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["status"] == "submitted"

        records = await records_with_subject(backend, events_topic("assessment"), org, expected=2)
        record = next(
            r for r in records if dict(r.headers)["ce_type"] == DiagnosticSubmitted.event_type.encode()
        )
        assert b"confidentiel" not in record.value
        assert b"Claire Secret" not in record.value
        event = build_registry().payload(decode(record.headers, record.value))
        assert isinstance(event, DiagnosticSubmitted)
        assert event.levels == {code: n % 6 for n, code in enumerate(SME_PROFILE)}
        assert event.profile.size_band == "PME"
        assert event.model_version == "2.0.0"
        spreads = {code: min(5, n % 6 + 2) - n % 6 for n, code in enumerate(SME_PROFILE)}
        assert {d.indicator for d in event.divergences} == {
            code for code, spread in spreads.items() if spread >= 2
        }

        late = await _answer(http, tenant.headers, diag, a, "SP1", {"level": 5})
        assert late.status_code == 409
        assert (await tenant.call("POST", f"{V1}/diagnostics/{diag}/submit")).status_code == 409


class TestExports:
    async def test_json_and_csv_rows_per_indicator_and_respondent(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        diag = (await _diagnostic(tenant, await _organisation(tenant)))["diagnostic_id"]
        a, _ = await _respondent(tenant, diag, "Claire", "direction")
        b, _ = await _respondent(tenant, diag, "=cmd()", "DSI")
        await _answer(http, tenant.headers, diag, a, "SP1", {"level": 2, "comment": "ok"})
        await _answer(http, tenant.headers, diag, b, "SP1", {"level": 4})
        exported = (await tenant.call("GET", f"{V1}/diagnostics/{diag}/export.json")).json()
        assert len(exported["answers"]) == 2
        response = await tenant.call("GET", f"{V1}/diagnostics/{diag}/export.csv")
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == len(SME_PROFILE) + 1
        sp1 = [r for r in rows if r["indicator"] == "SP1"]
        assert {r["respondent_name"] for r in sp1} == {"Claire", "'=cmd()"}
        assert {r["consolidated_level"] for r in sp1} == {"2"}


class TestIdempotencyKey:
    async def test_a_repeated_post_creates_once_and_answers_the_same(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        headers = {"Idempotency-Key": "create-org-1"}
        first = await tenant.call("POST", f"{V1}/organisations", json=ORGANISATION, headers=headers)
        again = await tenant.call("POST", f"{V1}/organisations", json=ORGANISATION, headers=headers)
        assert again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert len((await tenant.call("GET", f"{V1}/organisations")).json()["items"]) == 1

    async def test_the_same_key_with_another_body_is_a_422(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        headers = {"Idempotency-Key": "k"}
        await tenant.call("POST", f"{V1}/organisations", json=ORGANISATION, headers=headers)
        other = await tenant.call(
            "POST", f"{V1}/organisations", json={**ORGANISATION, "name": "Autre"}, headers=headers
        )
        assert other.status_code == 422

    async def test_keys_are_per_account(self, http: httpx.AsyncClient) -> None:
        first, second = await new_tenant(http), await new_tenant(http)
        headers = {"Idempotency-Key": "shared-key"}
        one = await first.call("POST", f"{V1}/organisations", json=ORGANISATION, headers=headers)
        two = await second.call("POST", f"{V1}/organisations", json=ORGANISATION, headers=headers)
        assert one.json()["organisation_id"] != two.json()["organisation_id"]

    async def test_a_secret_is_never_replayed(self, http: httpx.AsyncClient) -> None:
        tenant = await new_tenant(http)
        headers = {"Idempotency-Key": "new-key"}
        first = await tenant.call("POST", f"{V1}/api-keys", json={"name": "x"}, headers=headers)
        again = await tenant.call("POST", f"{V1}/api-keys", json={"name": "x"}, headers=headers)
        assert first.status_code == 201
        assert again.status_code == 409
        assert first.json()["client_secret"] not in again.text
        assert json.loads(again.text)["detail"].count(first.json()["client_id"]) == 1
