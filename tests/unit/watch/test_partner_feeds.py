"""Partner feeds on the fakes: who receives what, when, once; backfill, revocation, expiry, erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.watch.adapters.memory import MemoryWatchUnitOfWork
from services.watch.domain.deliveries import RetrySchedule
from services.watch.domain.endpoints import Endpoint
from services.watch.domain.partners import KnownGrant, KnownPartner, recipients
from services.watch.domain.rules import parse_rule
from services.watch.service_layer import consuming, notices, partners
from shared.auth import PARTNER_SCOPES, Principal
from shared.errors import Forbidden, InvalidInput
from shared.events.contracts.assessment import (
    AccountOpened,
    GrantGiver,
    OrganisationErased,
    PartnerGrantGiven,
    PartnerGrantRevoked,
    PartnerRegistered,
    PartnerUpdated,
)
from shared.events.contracts.benchmark import STUDY_EXAMPLE, StudyPublished
from shared.events.contracts.partner import (
    PartnerDiagnosticScored,
    PartnerOrganisationAffected,
    PartnerStudyPublished,
    partner_topic,
)
from shared.events.contracts.scoring import DiagnosticScored
from shared.model.editions import shipped_edition
from tests.unit.benchmark.events import registered, scored
from tests.unit.watch import notice

SCHEDULE = RetrySchedule(jitter=0.0)
T0 = datetime(2026, 11, 1, tzinfo=UTC)
GIVER = GrantGiver(account_id="acc_1", client_id=None)
ALL = ["diagnostic.scored", "diagnostic.scoring_failed", "organisation.affected", "study.published"]


class Topics:
    """The partners whose topic was provisioned."""

    def __init__(self) -> None:
        self.ensured: list[str] = []

    async def ensure(self, partner_id: str) -> None:
        self.ensured.append(partner_id)


async def _world(*orgs: str, sector: str = "commerce") -> tuple[MemoryWatchUnitOfWork, Topics]:
    uow, topics = MemoryWatchUnitOfWork(), Topics()
    await uow.model_versions.keep(shipped_edition("2.0.0"))
    await consuming.account_opened(AccountOpened(account_id="acc_1", plan="premium", opened_at=T0), uow)
    for org in orgs:
        await consuming.organisation_registered(registered(org, sector=sector), uow)
    for partner_id in ("ptn_bank", "ptn_cci"):
        await partners.partner_known(topics)(
            PartnerRegistered(partner_id=partner_id, name=partner_id, event_kinds=ALL, registered_at=T0), uow
        )
    return uow, topics


async def _grant(
    uow: MemoryWatchUnitOfWork,
    grant_id: str,
    org: str,
    partner_id: str,
    *,
    kinds: list[str] | None = None,
    at: datetime = T0,
    expires_at: datetime | None = None,
    backfill: bool = False,
) -> None:
    event = PartnerGrantGiven(
        grant_id=grant_id,
        partner_id=partner_id,
        organisation_id=org,
        event_kinds=kinds or ["diagnostic.scored"],
        expires_at=expires_at,
        backfill=backfill,
        given_by=GIVER,
        given_at=at,
    )
    await partners.grant_given(SCHEDULE)(event, uow)


def _scored(org: str, *, days: int = 1) -> DiagnosticScored:
    return scored(org, 2, days=days)


async def _on_scored(uow: MemoryWatchUnitOfWork, event: DiagnosticScored) -> None:
    async with uow:  # as the consumer runs a handler: in a unit of work, committed
        await partners.diagnostic_scored(SCHEDULE)(event, uow)
        await uow.commit()


def _feed(uow: MemoryWatchUnitOfWork, partner_id: str) -> list[tuple[str, str | None]]:
    return [(e.kind, e.organisation_id) for e in uow.partner_feeds.feeds.get(partner_id, [])]


@pytest.mark.asyncio
class TestWhoReceives:
    async def test_a_scored_event_goes_to_the_granted_partner_only_on_its_three_feeds(self) -> None:
        uow, topics = await _world("org_a", "org_b")
        assert topics.ensured == ["ptn_bank", "ptn_cci"]
        endpoint = Endpoint.create(
            endpoint_id="ep_1", account_id="ptn_bank", url="https://bank.example/hook", at=T0
        )
        await uow.endpoints.save(endpoint)
        await _grant(uow, "grt_1", "org_a", "ptn_bank")
        await _on_scored(uow, _scored("org_a"))
        await _on_scored(uow, _scored("org_b"))
        assert _feed(uow, "ptn_bank") == [("diagnostic.scored", "org_a")]
        assert _feed(uow, "ptn_cci") == []
        [stored] = uow.partner_feeds.feeds["ptn_bank"]
        [record] = [r for r in uow.events if r.topic is not None]
        assert record.topic == partner_topic("ptn_bank")
        assert record.event_id == stored.event_id
        assert isinstance(record.event, PartnerDiagnosticScored)
        assert record.event.organisation.name == "org_a"
        [(delivery, message)] = [
            (d, uow.deliveries.messages[d.message_id]) for d, _ in uow.deliveries.items.values()
        ]
        assert delivery.endpoint_id == "ep_1"
        assert message.event_type == "dimm.partner.diagnostic.scored.v1"
        assert stored.event_id.encode() in message.payload

    async def test_a_redelivered_source_event_is_the_same_feed_event_not_a_second_one(self) -> None:
        uow, _ = await _world("org_a")
        await _grant(uow, "grt_1", "org_a", "ptn_bank")
        event = _scored("org_a")
        await _on_scored(uow, event)
        await _on_scored(uow, event)
        assert len(uow.partner_feeds.feeds["ptn_bank"]) == 1
        assert len([r for r in uow.events if r.topic is not None]) == 1

    async def test_a_kind_the_grant_does_not_name_does_not_pass(self) -> None:
        uow, _ = await _world("org_a")
        await _grant(uow, "grt_1", "org_a", "ptn_bank", kinds=["diagnostic.scoring_failed"])
        await _on_scored(uow, _scored("org_a"))
        assert _feed(uow, "ptn_bank") == []

    async def test_a_suspended_partner_or_one_no_longer_allowed_the_kind_receives_nothing(self) -> None:
        uow, topics = await _world("org_a")
        await _grant(uow, "grt_1", "org_a", "ptn_bank")
        await _grant(uow, "grt_2", "org_a", "ptn_cci")
        suspend = PartnerUpdated(
            partner_id="ptn_bank", name="b", event_kinds=ALL, active=False, updated_at=T0 + timedelta(hours=1)
        )
        narrow = PartnerUpdated(
            partner_id="ptn_cci",
            name="c",
            event_kinds=["study.published"],
            active=True,
            updated_at=T0 + timedelta(hours=1),
        )
        for event in (suspend, narrow):
            await partners.partner_known(topics)(event, uow)
        await _on_scored(uow, _scored("org_a"))
        assert _feed(uow, "ptn_bank") == []
        assert _feed(uow, "ptn_cci") == []

    async def test_an_older_partner_announcement_arriving_late_changes_nothing(self) -> None:
        uow, topics = await _world()
        late = PartnerUpdated(
            partner_id="ptn_bank",
            name="old",
            event_kinds=ALL,
            active=False,
            updated_at=T0 - timedelta(days=1),
        )
        await partners.partner_known(topics)(late, uow)
        known = await uow.partner_feeds.partner("ptn_bank")
        assert known is not None
        assert known.active


@pytest.mark.asyncio
class TestTime:
    async def test_an_event_before_the_grant_or_after_its_expiry_does_not_pass(self) -> None:
        uow, _ = await _world("org_a")
        await _grant(
            uow, "grt_1", "org_a", "ptn_bank", at=T0 + timedelta(days=2), expires_at=T0 + timedelta(days=4)
        )
        await _on_scored(uow, _scored("org_a", days=1))  # before the grant
        await _on_scored(uow, _scored("org_a", days=3))  # while live
        await _on_scored(uow, _scored("org_a", days=5))  # expired
        [only] = uow.partner_feeds.feeds["ptn_bank"]
        assert only.data["scored_at"].startswith((T0 + timedelta(days=3)).date().isoformat())

    async def test_a_revocation_stops_later_events_and_keeps_earlier_ones_even_if_it_arrives_first(
        self,
    ) -> None:
        uow, _ = await _world("org_a")
        revoked = PartnerGrantRevoked(
            grant_id="grt_1",
            partner_id="ptn_bank",
            organisation_id="org_a",
            reason="revoked",
            revoked_by=GIVER,
            revoked_at=T0 + timedelta(days=2),
        )
        await partners.grant_revoked(revoked, uow)
        await _grant(uow, "grt_1", "org_a", "ptn_bank")  # the grant's own event, delivered after
        await _on_scored(uow, _scored("org_a", days=1))
        await _on_scored(uow, _scored("org_a", days=3))
        assert len(uow.partner_feeds.feeds["ptn_bank"]) == 1

    async def test_a_scorecard_made_after_the_grant_but_seen_before_it_is_caught_up(self) -> None:
        uow, _ = await _world("org_a")
        await _on_scored(uow, _scored("org_a", days=3))  # the scoring topic ran ahead of assessment's
        await _grant(uow, "grt_1", "org_a", "ptn_bank", at=T0 + timedelta(days=2))
        assert _feed(uow, "ptn_bank") == [("diagnostic.scored", "org_a")]

    async def test_backfill_sends_the_latest_scorecard_made_before_the_grant_without_it_nothing(self) -> None:
        uow, _ = await _world("org_a")
        await _on_scored(uow, _scored("org_a", days=1))
        await _on_scored(uow, _scored("org_a", days=2))
        await _grant(uow, "grt_1", "org_a", "ptn_cci", at=T0 + timedelta(days=5))
        await _grant(uow, "grt_2", "org_a", "ptn_bank", at=T0 + timedelta(days=5), backfill=True)
        await _grant(uow, "grt_2", "org_a", "ptn_bank", at=T0 + timedelta(days=5), backfill=True)  # again
        assert _feed(uow, "ptn_cci") == []
        [sent] = uow.partner_feeds.feeds["ptn_bank"]
        assert sent.data["scored_at"].startswith((T0 + timedelta(days=2)).date().isoformat())


class TestRecipients:
    def test_recipients_are_each_partner_once(self) -> None:
        grants = [
            KnownGrant("g1", "p1", "o", ("diagnostic.scored",), T0),
            KnownGrant("g2", "p1", "o", ("diagnostic.scored",), T0),
            KnownGrant("g3", "p2", "o", ("diagnostic.scored",), T0, revoked_at=T0),
        ]
        known = {p: KnownPartner(p, p, ("diagnostic.scored",), True, T0) for p in ("p1", "p2")}
        assert recipients("diagnostic.scored", T0 + timedelta(1), grants, known) == ["p1"]


@pytest.mark.asyncio
class TestOtherKinds:
    async def test_an_alert_goes_to_partners_granted_the_affected_kind(self) -> None:
        uow, _ = await _world("org_a")
        await _grant(uow, "grt_1", "org_a", "ptn_bank", kinds=["organisation.affected"])
        await consuming.diagnostic_scored(SCHEDULE)(scored("org_a", 1), uow)
        draft = notice(rule=parse_rule("TIO2 < 3"))
        await notices.create_notice(draft, uow=uow)
        await notices.publish_notice(draft.id, uow=uow)
        await notices.fan_out(draft.id, uow=uow, schedule=SCHEDULE, batch=1)
        [sent] = uow.partner_feeds.feeds["ptn_bank"]
        event = PartnerOrganisationAffected.model_validate(sent.data)
        assert event.notice_id == draft.id
        assert "TIO2" in event.indicators

    async def test_a_study_goes_to_partners_granted_studies_by_an_organisation_of_its_sector(self) -> None:
        uow, _ = await _world("org_social", sector=STUDY_EXAMPLE["sector"])
        await consuming.organisation_registered(registered("org_shop", sector="commerce"), uow)
        await _grant(uow, "grt_1", "org_social", "ptn_bank", kinds=["study.published"])
        await _grant(uow, "grt_2", "org_shop", "ptn_cci", kinds=["study.published"])
        study = StudyPublished.model_validate(STUDY_EXAMPLE)
        await partners.study_published(SCHEDULE)(study, uow)
        await partners.study_published(SCHEDULE)(study, uow)
        [sent] = uow.partner_feeds.feeds["ptn_bank"]
        assert sent.organisation_id is None
        assert PartnerStudyPublished.model_validate(sent.data).study_id == study.study_id
        assert _feed(uow, "ptn_cci") == []


@pytest.mark.asyncio
class TestErasureAndPullFeed:
    async def test_erasure_ends_grants_empties_the_feed_and_later_events_are_dropped(self) -> None:
        uow, _ = await _world("org_a", "org_b")
        await _grant(uow, "grt_1", "org_a", "ptn_bank")
        await _grant(uow, "grt_2", "org_b", "ptn_bank")
        await _on_scored(uow, _scored("org_a"))
        await _on_scored(uow, _scored("org_b"))
        erased = OrganisationErased(
            organisation_id="org_a", account_id="acc_1", erased_at=T0 + timedelta(days=2)
        )
        await consuming.organisation_erased(erased, uow)
        await _on_scored(uow, _scored("org_a", days=3))
        assert _feed(uow, "ptn_bank") == [("diagnostic.scored", "org_b")]
        grant = await uow.partner_feeds.grant("grt_1")
        assert grant is not None
        assert grant.revoked_at == erased.erased_at

    async def test_the_pull_feed_pages_with_a_cursor_and_refuses_a_bad_one_or_a_suspended_partner(
        self,
    ) -> None:
        uow, topics = await _world("org_a")
        await _grant(uow, "grt_1", "org_a", "ptn_bank")
        for day in range(1, 6):
            await _on_scored(uow, _scored("org_a", days=day))
        caller = Principal("ptn_bank", frozenset(PARTNER_SCOPES), "partner", "t", partner_id="ptn_bank")
        seen, cursor = [], None
        while True:
            page, cursor = await partners.feed_page(caller, after=cursor, limit=2, uow=uow)
            seen += [e.sequence for e in page]
            if len(page) < 2:
                break
        assert seen == [1, 2, 3, 4, 5]
        assert cursor == "5"
        with pytest.raises(InvalidInput):
            await partners.feed_page(caller, after="-1", limit=2, uow=uow)
        with pytest.raises(InvalidInput):
            await partners.feed_page(caller, after=None, limit=0, uow=uow)
        no_scope = Principal(
            "ptn_bank", frozenset({"partner:webhooks"}), "partner", "t", partner_id="ptn_bank"
        )
        with pytest.raises(Forbidden):
            await partners.feed_page(no_scope, after=None, limit=2, uow=uow)
        suspend = PartnerUpdated(
            partner_id="ptn_bank", name="b", event_kinds=ALL, active=False, updated_at=T0 + timedelta(1)
        )
        await partners.partner_known(topics)(suspend, uow)
        with pytest.raises(Forbidden):
            await partners.feed_page(caller, after=None, limit=2, uow=uow)
