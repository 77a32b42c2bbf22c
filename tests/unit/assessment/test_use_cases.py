"""Every assessment use case on the in-memory fakes: what it stores, what it announces, what it refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client import CollectorRegistry

from services.assessment.adapters.memory import MemoryAssessmentUnitOfWork
from services.assessment.domain.answers import Given
from services.assessment.domain.probes import Probe
from services.assessment.metrics import AssessmentMetrics
from services.assessment.service_layer import (
    accounts,
    answers,
    catalogue,
    diagnostics,
    organisations,
    probes,
    reconcile,
    report_links,
    scored,
)
from services.assessment.service_layer.catalogue import ModelCache
from shared.auth import REPORT_SCOPE, SCOPES, Principal, TokenIssuer, TokenVerifier
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from shared.events.contracts.assessment import (
    AccountOpened,
    AccountPlanChanged,
    ApiKeyRevoked,
    DiagnosticSubmitted,
    DiagnosticWithdrawn,
    OrganisationErased,
    OrganisationRegistered,
    OrganisationUpdated,
)
from shared.events.contracts.catalogue import ModelPublished
from shared.events.contracts.probe import ANSWERING_SERVICES, ProbeRequested, ScoringProbeAnswered
from shared.events.contracts.scoring import SCORED_EXAMPLE, DiagnosticScored, DiagnosticScoringFailed
from shared.model.editions import SME_PROFILE, shipped_edition
from shared.mongo import utc_now

pytestmark = pytest.mark.asyncio

ORGANISATION = {
    "name": "Boulangerie Martin",
    "sector": "commerce",
    "headcount": 42,
    "region": "bretagne",
    "organisation_type": "entreprise",
    "siren": "732829320",
}
SECTORS = {"commerce", "banque"}
ISSUER = TokenIssuer(Ed25519PrivateKey.generate(), issuer="dimm")


def _owner(account_id: str = "acc_1") -> Principal:
    return Principal(account_id, frozenset(SCOPES), "premium", "tok")


async def _organisation(uow: MemoryAssessmentUnitOfWork, account_id: str = "acc_1") -> str:
    org = await organisations.register(account_id, dict(ORGANISATION), sectors=SECTORS, uow=uow)
    return org.organisation_id


async def _draft(uow: MemoryAssessmentUnitOfWork, models: ModelCache) -> tuple[str, str]:
    """Open a quick diagnostic with one respondent; return its id and the respondent's."""
    org = await _organisation(uow)
    diagnostic = await diagnostics.open_diagnostic(
        _owner(), org, model_id="dimm", version="latest", scope="pme-10-priorites", uow=uow, models=models
    )
    respondent, _ = await diagnostics.invite(
        _owner(),
        diagnostic.diagnostic_id,
        name="Claire",
        role="direction",
        uow=uow,
        issuer=ISSUER,
        ttl=timedelta(days=1),
    )
    return diagnostic.diagnostic_id, respondent.respondent_id


async def _answer_all(
    uow: MemoryAssessmentUnitOfWork, models: ModelCache, diagnostic_id: str, respondent: str
) -> None:
    for code in SME_PROFILE:
        await answers.put_answer(
            _owner(), diagnostic_id, respondent, code, Given(level=2), uow=uow, models=models
        )


class TestCatalogue:
    async def test_a_new_version_is_stored_and_announced_once(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        document = shipped_edition("2.0.0").model_copy(update={"version": "2.1.0"}).model_dump(mode="json")
        first = await catalogue.publish_model(document, uow=uow, cache=models)
        again = await catalogue.publish_model(document, uow=uow, cache=models)
        assert (first.created, again.created) == (True, False)
        [event] = uow.published
        assert isinstance(event, ModelPublished)
        assert event.version == "2.1.0"

    async def test_other_content_under_a_published_version_is_a_conflict(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        document = shipped_edition("2.0.0").model_dump(mode="json")
        document["title"] = "Autre contenu"
        with pytest.raises(Conflict):
            await catalogue.publish_model(document, uow=uow, cache=models)
        assert uow.published == []

    async def test_latest_is_the_highest_release(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        summary, _ = await catalogue.get_model("dimm", "latest", uow=uow, cache=models)
        assert summary.version == "2.0.0"


class TestOrganisations:
    async def test_registering_stores_and_announces(self, uow: MemoryAssessmentUnitOfWork) -> None:
        org_id = await _organisation(uow)
        assert (await organisations.get("acc_1", org_id, uow=uow)).name == "Boulangerie Martin"
        [event] = uow.published
        assert isinstance(event, OrganisationRegistered)
        assert event.profile.size_band == "PME"

    async def test_an_invalid_organisation_is_refused_with_every_problem_and_nothing_stored(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        bad = {**ORGANISATION, "sector": "nope", "region": "nowhere", "siren": "123456789"}
        with pytest.raises(InvalidInput) as caught:
            await organisations.register("acc_1", bad, sectors=SECTORS, uow=uow)
        assert {e["path"] for e in caught.value.errors} == {"sector", "region", "siren"}
        assert (uow.organisations.items, uow.published) == ({}, [])

    async def test_an_update_announces_the_new_profile(self, uow: MemoryAssessmentUnitOfWork) -> None:
        org_id = await _organisation(uow)
        await organisations.update("acc_1", org_id, {"headcount": 300}, sectors=SECTORS, uow=uow)
        registered, event = uow.published
        assert isinstance(registered, OrganisationRegistered)
        assert isinstance(event, OrganisationUpdated)
        assert event.profile.size_band == "ETI"

    async def test_another_tenants_organisation_is_not_found(self, uow: MemoryAssessmentUnitOfWork) -> None:
        org_id = await _organisation(uow)
        with pytest.raises(NotFound):
            await organisations.update("acc_2", org_id, {"name": "x"}, sectors=SECTORS, uow=uow)

    async def test_erasure_deletes_diagnostics_and_answers_and_announces(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        await _answer_all(uow, models, diagnostic_id, respondent)
        org_id = uow.diagnostics.items[diagnostic_id].organisation_id
        await organisations.erase("acc_1", org_id, uow=uow)
        assert (uow.organisations.items, uow.diagnostics.items, uow.answers.items) == ({}, {}, {})
        assert isinstance(uow.published[-1], OrganisationErased)

    async def test_pages_follow_the_cursor(self, uow: MemoryAssessmentUnitOfWork) -> None:
        ids = sorted([await _organisation(uow) for _ in range(3)])
        first, cursor = await organisations.page("acc_1", cursor=None, limit=2, uow=uow)
        second, end = await organisations.page("acc_1", cursor=cursor, limit=2, uow=uow)
        assert [o.organisation_id for o in first + second] == ids
        assert end is None


class TestDiagnostics:
    async def test_answers_change_only_a_draft(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        await _answer_all(uow, models, diagnostic_id, respondent)
        await diagnostics.submit(_owner(), diagnostic_id, uow=uow)
        before = dict(uow.answers.items)
        with pytest.raises(Conflict):
            await answers.put_answer(
                _owner(), diagnostic_id, respondent, "SP1", Given(level=5), uow=uow, models=models
            )
        assert uow.answers.items == before

    async def test_submission_announces_exactly_what_is_stored(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        await _answer_all(uow, models, diagnostic_id, respondent)
        sp1 = shipped_edition("2.0.0").indicator("SP1")
        assert sp1 is not None
        ticked = (*(c.id for c in sp1.levels[0].criteria), sp1.levels[1].criteria[0].id)
        await answers.put_answer(
            _owner(), diagnostic_id, respondent, "SP1", Given(criteria_met=ticked), uow=uow, models=models
        )
        await diagnostics.submit(_owner(), diagnostic_id, uow=uow)
        event = uow.published[-1]
        assert isinstance(event, DiagnosticSubmitted)
        assert event.levels == {code: 1 if code == "SP1" else 2 for code in SME_PROFILE}
        assert event.criteria_met == {"SP1": sorted(ticked)}
        assert uow.diagnostics.items[diagnostic_id].status == "submitted"

    async def test_an_incomplete_submission_lists_what_is_missing_and_announces_nothing(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, _ = await _draft(uow, models)
        uow.events.clear()
        with pytest.raises(Conflict) as caught:
            await diagnostics.submit(_owner(), diagnostic_id, uow=uow)
        assert len(caught.value.errors) == len(SME_PROFILE)
        assert uow.published == []

    async def test_a_validated_level_with_criteria_wins_and_its_criteria_travel(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        await _answer_all(uow, models, diagnostic_id, respondent)
        sp1 = shipped_edition("2.0.0").indicator("SP1")
        assert sp1 is not None
        checked = tuple(c.id for level in sp1.levels[:3] for c in level.criteria)
        await diagnostics.validate_level(
            _owner(), diagnostic_id, "SP1", Given(criteria_met=checked), uow=uow, models=models
        )
        await diagnostics.submit(_owner(), diagnostic_id, uow=uow)
        event = uow.published[-1]
        assert isinstance(event, DiagnosticSubmitted)
        assert event.levels["SP1"] == 3
        assert event.criteria_met["SP1"] == sorted(checked)

    async def test_a_diagnostic_validated_throughout_is_submitted_as_expert_validated(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        await _answer_all(uow, models, diagnostic_id, respondent)
        for code in SME_PROFILE:
            await diagnostics.validate_level(
                _owner(), diagnostic_id, code, Given(level=3), uow=uow, models=models
            )
        await diagnostics.submit(_owner(), diagnostic_id, uow=uow)
        event = uow.published[-1]
        assert isinstance(event, DiagnosticSubmitted)
        assert event.assurance == "expert_validated"
        assert set(event.levels.values()) == {3}

    async def test_one_level_left_to_the_respondents_is_self_assessed(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        await _answer_all(uow, models, diagnostic_id, respondent)
        for code in SME_PROFILE[1:]:
            await diagnostics.validate_level(
                _owner(), diagnostic_id, code, Given(level=3), uow=uow, models=models
            )
        await diagnostics.submit(_owner(), diagnostic_id, uow=uow)
        event = uow.published[-1]
        assert isinstance(event, DiagnosticSubmitted)
        assert event.assurance == "self_assessed"

    async def test_a_respondent_answers_only_for_themselves_and_cannot_submit(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        as_respondent = Principal(
            "acc_1",
            frozenset({"respondent"}),
            "premium",
            "t",
            diagnostic_id=diagnostic_id,
            respondent_id=respondent,
        )
        with pytest.raises(Forbidden):
            await answers.put_answer(
                as_respondent, diagnostic_id, "rsp_other", "SP1", Given(level=1), uow=uow, models=models
            )
        with pytest.raises(Forbidden):
            await diagnostics.submit(as_respondent, diagnostic_id, uow=uow)

    async def test_a_revoked_respondent_loses_access(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        await diagnostics.revoke_respondent(_owner(), diagnostic_id, respondent, uow=uow)
        as_respondent = Principal(
            "acc_1",
            frozenset({"respondent"}),
            "premium",
            "t",
            diagnostic_id=diagnostic_id,
            respondent_id=respondent,
        )
        with pytest.raises(Unauthorized):
            await diagnostics.load(as_respondent, diagnostic_id, uow=uow)

    async def test_withdrawal_announces_and_ends_the_diagnostic(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, _ = await _draft(uow, models)
        await diagnostics.withdraw(_owner(), diagnostic_id, uow=uow)
        assert isinstance(uow.published[-1], DiagnosticWithdrawn)
        with pytest.raises(Conflict):
            await diagnostics.withdraw(_owner(), diagnostic_id, uow=uow)

    async def test_an_unknown_profile_or_version_is_invalid_input(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        org = await _organisation(uow)
        for version, scope in (("9.9.9", "full"), ("latest", "nope")):
            with pytest.raises(InvalidInput):
                await diagnostics.open_diagnostic(
                    _owner(), org, model_id="dimm", version=version, scope=scope, uow=uow, models=models
                )


class TestReportLinks:
    async def _submitted(self, uow: MemoryAssessmentUnitOfWork, models: ModelCache) -> str:
        diagnostic_id, respondent = await _draft(uow, models)
        await _answer_all(uow, models, diagnostic_id, respondent)
        await diagnostics.submit(_owner(), diagnostic_id, uow=uow)
        return diagnostic_id

    async def test_the_submitted_event_names_the_organisation_for_its_report(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        await self._submitted(uow, models)
        event = uow.published[-1]
        assert isinstance(event, DiagnosticSubmitted)
        assert event.organisation_name == ORGANISATION["name"]

    async def test_a_link_carries_the_report_scope_alone_bound_to_its_diagnostic(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id = await self._submitted(uow, models)
        owner = Principal("acc_1", frozenset(SCOPES), "premium", "tok", client_id="dimm_ck_1")
        link = await report_links.issue(
            owner, diagnostic_id, uow=uow, issuer=ISSUER, ttl=timedelta(minutes=30)
        )
        principal = TokenVerifier([ISSUER.public_key], issuer="dimm").verify(link.token)
        assert principal.scopes == {REPORT_SCOPE}
        assert (principal.diagnostic_id, principal.client_id, principal.plan) == (
            diagnostic_id,
            "dimm_ck_1",
            "premium",
        )
        assert link.path == f"/scoring/v1/diagnostics/{diagnostic_id}/report?access_token={link.token}"
        assert timedelta(minutes=29) < link.expires_at - utc_now() <= timedelta(minutes=30)

    async def test_a_draft_has_no_report_yet(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, _ = await _draft(uow, models)
        with pytest.raises(Conflict, match="draft"):
            await report_links.issue(_owner(), diagnostic_id, uow=uow, issuer=ISSUER, ttl=timedelta(hours=1))

    @pytest.mark.parametrize(
        ("caller", "refusal"),
        [
            (Principal("acc_2", frozenset(SCOPES), "free", "t"), NotFound),
            (Principal("acc_1", frozenset({"organisations:read"}), "free", "t"), Forbidden),
            (Principal("acc_1", frozenset({REPORT_SCOPE}), "free", "t", diagnostic_id="dg"), Forbidden),
            (
                Principal(
                    "acc_1", frozenset({"respondent"}), "free", "t", diagnostic_id="dg", respondent_id="r"
                ),
                Forbidden,
            ),
        ],
        ids=["another-account", "no-diagnostics-read", "a-report-link", "a-respondent"],
    )
    async def test_who_may_not_ask_for_a_link(
        self,
        uow: MemoryAssessmentUnitOfWork,
        models: ModelCache,
        caller: Principal,
        refusal: type[Exception],
    ) -> None:
        diagnostic_id = await self._submitted(uow, models)
        with pytest.raises(refusal):
            await report_links.issue(caller, diagnostic_id, uow=uow, issuer=ISSUER, ttl=timedelta(hours=1))


class TestScoredReports:
    async def test_a_scored_event_marks_a_submitted_diagnostic_only(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        event = DiagnosticScored.model_validate(
            {
                **SCORED_EXAMPLE,
                "diagnostic_id": diagnostic_id,
            }
        )
        metrics = AssessmentMetrics(CollectorRegistry())
        on_scored = scored.diagnostic_scored_handler(metrics)
        await on_scored(event, uow)
        assert uow.diagnostics.items[diagnostic_id].status == "draft"
        await _answer_all(uow, models, diagnostic_id, respondent)
        await diagnostics.submit(_owner(), diagnostic_id, uow=uow)
        await on_scored(event, uow)
        assert uow.diagnostics.items[diagnostic_id].status == "scored"
        await on_scored(event, uow)  # redelivered: observed once only
        latency = metrics.scoring_latency.collect()[0].samples
        count = next(s.value for s in latency if s.name.endswith("_count"))
        total = next(s.value for s in latency if s.name.endswith("_sum"))
        assert count == 1
        assert total == (event.scored_at - event.submitted_at).total_seconds()

    async def test_a_scoring_failure_is_noted_and_counted_once(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        diagnostic_id, respondent = await _draft(uow, models)
        await _answer_all(uow, models, diagnostic_id, respondent)
        await diagnostics.submit(_owner(), diagnostic_id, uow=uow)
        metrics = AssessmentMetrics(CollectorRegistry())
        on_failed = scored.scoring_failed_handler(metrics)
        event = DiagnosticScoringFailed(
            diagnostic_id=diagnostic_id,
            organisation_id="o",
            account_id="a",
            reason="model version unknown",
            failed_at=utc_now(),
        )
        await on_failed(event, uow)
        await on_failed(event, uow)  # redelivered
        assert uow.diagnostics.items[diagnostic_id].scoring_error == "model version unknown"
        assert metrics.scoring_failures._value.get() == 1


class TestAccounts:
    async def test_keys_are_scoped_revocable_and_announced(self, uow: MemoryAssessmentUnitOfWork) -> None:
        account = await accounts.create_account("Cabinet", "free", uow=uow)
        issued = await accounts.create_api_key(account.account_id, "ci", ["diagnostics:read"], uow=uow)
        token, scopes = await accounts.issue_token(
            issued.key.client_id, issued.client_secret, None, uow=uow, issuer=ISSUER, ttl=timedelta(minutes=5)
        )
        assert scopes == ("diagnostics:read",)
        assert (
            TokenVerifier([ISSUER.public_key], issuer="dimm").verify(token).account_id == account.account_id
        )
        await accounts.revoke_api_key(account.account_id, issued.key.client_id, uow=uow)
        assert isinstance(uow.published[-1], ApiKeyRevoked)
        assert await accounts.key_is_revoked(issued.key.client_id, uow=uow)
        with pytest.raises(NotFound):
            await accounts.revoke_api_key(account.account_id, issued.key.client_id, uow=uow)
        with pytest.raises(Unauthorized):
            await accounts.issue_token(
                issued.key.client_id,
                issued.client_secret,
                None,
                uow=uow,
                issuer=ISSUER,
                ttl=timedelta(minutes=5),
            )

    async def test_another_accounts_key_cannot_be_revoked(self, uow: MemoryAssessmentUnitOfWork) -> None:
        account = await accounts.create_account("Cabinet", "free", uow=uow)
        issued = await accounts.create_api_key(account.account_id, "ci", None, uow=uow)
        with pytest.raises(NotFound):
            await accounts.revoke_api_key("acc_other", issued.key.client_id, uow=uow)
        assert [type(e) for e in uow.published] == [AccountOpened]

    async def test_unknown_scopes_are_refused(self, uow: MemoryAssessmentUnitOfWork) -> None:
        account = await accounts.create_account("Cabinet", "free", uow=uow)
        with pytest.raises(InvalidInput):
            await accounts.create_api_key(account.account_id, "ci", ["everything"], uow=uow)


class TestAccountPlans:
    async def test_opening_an_account_stores_and_announces_it(self, uow: MemoryAssessmentUnitOfWork) -> None:
        account = await accounts.create_account("Cabinet", "premium", uow=uow)
        [opened] = uow.published
        assert isinstance(opened, AccountOpened)
        assert (opened.account_id, opened.plan) == (account.account_id, "premium")
        assert uow.events[0].subject == account.account_id
        assert await uow.accounts.get(account.account_id) == account

    async def test_a_plan_change_is_stored_and_announces_one_event(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        account = await accounts.create_account("Cabinet", "free", uow=uow)
        changed = await accounts.change_plan(account.account_id, "premium", uow=uow)
        assert changed.plan == "premium"
        opened, event = uow.published
        assert isinstance(opened, AccountOpened)
        assert isinstance(event, AccountPlanChanged)
        assert (event.account_id, event.plan, event.previous_plan) == (account.account_id, "premium", "free")
        stored = await uow.accounts.get(account.account_id)
        assert stored is not None
        assert stored.plan == "premium"

    async def test_an_unchanged_plan_announces_nothing(self, uow: MemoryAssessmentUnitOfWork) -> None:
        account = await accounts.create_account("Cabinet", "premium", uow=uow)
        uow.events.clear()
        assert (await accounts.change_plan(account.account_id, "premium", uow=uow)).plan == "premium"
        assert uow.published == []

    async def test_an_unknown_account_is_not_found(self, uow: MemoryAssessmentUnitOfWork) -> None:
        with pytest.raises(NotFound):
            await accounts.change_plan("acc_nobody", "premium", uow=uow)
        assert uow.published == []

    async def test_tokens_issued_after_a_change_carry_the_new_plan(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        account = await accounts.create_account("Cabinet", "free", uow=uow)
        issued = await accounts.create_api_key(account.account_id, "ci", None, uow=uow)
        await accounts.change_plan(account.account_id, "premium", uow=uow)
        token, _ = await accounts.issue_token(
            issued.key.client_id, issued.client_secret, None, uow=uow, issuer=ISSUER, ttl=timedelta(minutes=5)
        )
        assert TokenVerifier([ISSUER.public_key], issuer="dimm").verify(token).plan == "premium"


class TestProbes:
    async def test_probes_are_stored_and_requested_then_answers_counted(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        created = await probes.request_probes(3, unit_of_work=lambda: uow)
        assert [type(e) for e in uow.published] == [ProbeRequested] * 3
        probe_id = created[0].probe_id
        assert (await probes.get_probe(probe_id, uow=uow)).status == "pending"
        found = await uow.probes.record_answer(
            probe_id, service="scoring", answered_at=utc_now(), received_at=utc_now()
        )
        assert found is not None
        assert found.answers["scoring"].deliveries == 1

    async def test_every_answer_s_round_trip_is_observed_once_in_a_histogram(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        registry = CollectorRegistry()
        handler = probes.probe_answer_handler(AssessmentMetrics(registry))
        now = utc_now()
        # Requested a moment ago and 3 s ago: the round trip runs until the answer reaches assessment.
        sent = [
            Probe("quick", now, ANSWERING_SERVICES),
            Probe("slow", now - timedelta(seconds=3), ANSWERING_SERVICES),
        ]
        await uow.probes.add_many(sent)
        for probe in sent:
            answer = ScoringProbeAnswered(
                probe_id=probe.probe_id, service="scoring", requested_at=probe.requested_at, received_at=now
            )
            await handler(answer, uow)
        await handler(answer, uow)  # a doubled answer: the probe counts it, the histogram does not
        scoring = {"responder": "scoring"}
        assert registry.get_sample_value("dimm_probe_round_trip_seconds_count", scoring) == 2
        assert (
            registry.get_sample_value("dimm_probe_round_trip_seconds_bucket", {**scoring, "le": "0.25"}) == 1
        )
        # The other responders' series are there before their first answer.
        assert registry.get_sample_value("dimm_probe_round_trip_seconds_count", {"responder": "watch"}) == 0


class TestReconciliation:
    async def test_only_diagnostics_waiting_too_long_for_scoring_are_sent_again(
        self, uow: MemoryAssessmentUnitOfWork, models: ModelCache
    ) -> None:
        ids = []
        for _ in range(3):
            diagnostic_id, respondent = await _draft(uow, models)
            await _answer_all(uow, models, diagnostic_id, respondent)
            await diagnostics.submit(_owner(), diagnostic_id, uow=uow)
            ids.append(diagnostic_id)
        waiting, failed, scored_one = ids
        await uow.diagnostics.note_scoring_failure(failed, "unknown model version")
        await uow.diagnostics.mark_scored(scored_one, at=utc_now())
        draft_id, _ = await _draft(uow, models)
        after = timedelta(minutes=10)

        soon = utc_now() + timedelta(minutes=2)
        assert await reconcile.resend_unscored(uow=uow, now=soon, after=after) == 0
        assert uow.submissions.sent == []

        later = utc_now() + timedelta(minutes=11)
        assert await reconcile.resend_unscored(uow=uow, now=later, after=after) == 1
        assert uow.submissions.sent == [([waiting], later - after)]
        assert draft_id not in uow.submissions.sent[0][0]
