"""Partners, their keys and tokens, and the grants organisations give them (use cases on the fakes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.assessment.adapters.memory import MemoryAssessmentUnitOfWork
from services.assessment.domain.partners import Grant, Partner, checked_kinds
from services.assessment.service_layer import accounts, organisations, partners
from shared.auth import PARTNER_SCOPES, SCOPES, Principal, TokenVerifier
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from shared.events.contracts.assessment import (
    GrantGiver,
    OrganisationErased,
    PartnerGrantGiven,
    PartnerGrantRevoked,
    PartnerRegistered,
    PartnerUpdated,
)
from tests.unit.assessment.given import ISSUER, ORGANISATION, OWNER

T0 = datetime(2026, 11, 29, 9, tzinfo=UTC)
SECTORS = {"commerce"}
GIVER = GrantGiver(account_id="acc_1", client_id="dimm_ck_1")


async def _organisation(uow: MemoryAssessmentUnitOfWork, owner: Principal = OWNER) -> str:
    return (
        await organisations.register(owner.account_id, dict(ORGANISATION), sectors=SECTORS, uow=uow)
    ).organisation_id


async def _partner(uow: MemoryAssessmentUnitOfWork, *kinds: str) -> Partner:
    return await partners.register_partner("Banque Exemple", kinds or ("diagnostic.scored",), uow=uow)


@pytest.mark.asyncio
class TestPartners:
    async def test_registering_announces_the_partner_with_its_kinds_in_the_contracts_order(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        partner = await _partner(uow, "study.published", "diagnostic.scored", "study.published")
        assert partner.partner_id.startswith("ptn_")
        assert partner.event_kinds == ("diagnostic.scored", "study.published")
        [event] = uow.published
        assert isinstance(event, PartnerRegistered)
        assert event.event_kinds == ["diagnostic.scored", "study.published"]

    @pytest.mark.parametrize("kinds", [[], ["diagnostic.deleted"]])
    async def test_no_kind_or_an_unknown_kind_is_refused(
        self, uow: MemoryAssessmentUnitOfWork, kinds: list[str]
    ) -> None:
        with pytest.raises(InvalidInput):
            await partners.register_partner("Banque", kinds, uow=uow)
        assert await uow.partners.listed() == []

    async def test_a_change_is_announced_once_and_a_repeat_changes_nothing(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        partner = await _partner(uow)
        uow.events.clear()
        await partners.change_partner(partner.partner_id, name=None, kinds=None, active=False, uow=uow)
        await partners.change_partner(partner.partner_id, name=None, kinds=None, active=False, uow=uow)
        [event] = uow.published
        assert isinstance(event, PartnerUpdated)
        assert event.active is False
        assert await uow.partners.listed(active_only=True) == []

    async def test_a_partner_key_carries_partner_scopes_only_and_its_token_names_the_partner(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        partner = await _partner(uow)
        with pytest.raises(InvalidInput):
            await partners.create_partner_key(partner.partner_id, "k", ["organisations:read"], uow=uow)
        issued = await partners.create_partner_key(partner.partner_id, "k", None, uow=uow)
        assert set(issued.key.scopes) == set(PARTNER_SCOPES)
        token, _ = await accounts.issue_token(
            issued.key.client_id, issued.client_secret, None, uow=uow, issuer=ISSUER, ttl=timedelta(minutes=5)
        )
        principal = TokenVerifier([ISSUER.public_key], issuer="dimm").verify(token)
        assert principal.partner_id == partner.partner_id == principal.account_id
        assert principal.is_partner
        assert principal.scopes == frozenset(PARTNER_SCOPES)

    async def test_a_suspended_partner_obtains_no_token(self, uow: MemoryAssessmentUnitOfWork) -> None:
        partner = await _partner(uow)
        issued = await partners.create_partner_key(partner.partner_id, "k", None, uow=uow)
        await partners.change_partner(partner.partner_id, name=None, kinds=None, active=False, uow=uow)
        with pytest.raises(Unauthorized):
            await accounts.issue_token(
                issued.key.client_id, issued.client_secret, None, uow=uow, issuer=ISSUER, ttl=timedelta(1)
            )

    async def test_an_account_key_cannot_carry_a_partner_scope(self, uow: MemoryAssessmentUnitOfWork) -> None:
        account = await accounts.create_account("Cabinet", "free", uow=uow)
        with pytest.raises(InvalidInput):
            await accounts.create_api_key(account.account_id, "k", ["partner:events"], uow=uow)


@pytest.mark.asyncio
class TestGrants:
    async def test_an_owner_grants_records_who_and_when_and_announces_it(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        org, partner = await _organisation(uow), await _partner(uow)
        uow.events.clear()
        owner = Principal("acc_1", frozenset(SCOPES), "premium", "t", client_id="dimm_ck_1")
        grant = await partners.give_grant(
            owner, org, partner_id=partner.partner_id, kinds=None, expires_at=None, backfill=True, uow=uow
        )
        assert grant.event_kinds == ("diagnostic.scored",)
        assert grant.given_by == GIVER
        [event] = uow.published
        assert isinstance(event, PartnerGrantGiven)
        assert (event.organisation_id, event.partner_id, event.backfill) == (org, partner.partner_id, True)
        assert [g.grant_id for g in await partners.grants(OWNER, org, uow=uow)] == [grant.grant_id]

    async def test_a_kind_the_partner_may_not_receive_is_refused(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        org, partner = await _organisation(uow), await _partner(uow)
        with pytest.raises(Forbidden):
            await partners.give_grant(
                OWNER,
                org,
                partner_id=partner.partner_id,
                kinds=["study.published"],
                expires_at=None,
                backfill=False,
                uow=uow,
            )
        assert await uow.partners.grants(org) == []

    async def test_another_tenants_organisation_an_unknown_partner_and_a_past_expiry_are_refused(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        org, partner = await _organisation(uow), await _partner(uow)
        stranger = Principal("acc_2", frozenset(SCOPES), "premium", "t")
        with pytest.raises(NotFound):
            await partners.give_grant(
                stranger,
                org,
                partner_id=partner.partner_id,
                kinds=None,
                expires_at=None,
                backfill=False,
                uow=uow,
            )
        with pytest.raises(NotFound):
            await partners.give_grant(
                OWNER, org, partner_id="ptn_nobody", kinds=None, expires_at=None, backfill=False, uow=uow
            )
        with pytest.raises(InvalidInput):
            await partners.give_grant(
                OWNER, org, partner_id=partner.partner_id, kinds=None, expires_at=T0, backfill=False, uow=uow
            )
        assert await uow.partners.grants(org) == []

    async def test_a_suspended_partner_cannot_be_granted(self, uow: MemoryAssessmentUnitOfWork) -> None:
        org, partner = await _organisation(uow), await _partner(uow)
        await partners.change_partner(partner.partner_id, name=None, kinds=None, active=False, uow=uow)
        with pytest.raises(Conflict):
            await partners.give_grant(
                OWNER,
                org,
                partner_id=partner.partner_id,
                kinds=None,
                expires_at=None,
                backfill=False,
                uow=uow,
            )

    async def test_a_reader_without_write_scope_cannot_grant(self, uow: MemoryAssessmentUnitOfWork) -> None:
        org, partner = await _organisation(uow), await _partner(uow)
        reader = Principal("acc_1", frozenset({"organisations:read"}), "premium", "t")
        with pytest.raises(Forbidden):
            await partners.give_grant(
                reader,
                org,
                partner_id=partner.partner_id,
                kinds=None,
                expires_at=None,
                backfill=False,
                uow=uow,
            )

    async def test_revoking_ends_the_grant_once_and_announces_it(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        org, partner = await _organisation(uow), await _partner(uow)
        grant = await partners.give_grant(
            OWNER, org, partner_id=partner.partner_id, kinds=None, expires_at=None, backfill=False, uow=uow
        )
        uow.events.clear()
        await partners.revoke_grant(OWNER, org, grant.grant_id, uow=uow)
        with pytest.raises(NotFound):
            await partners.revoke_grant(OWNER, org, grant.grant_id, uow=uow)
        [event] = uow.published
        assert isinstance(event, PartnerGrantRevoked)
        assert event.reason == "revoked"
        [kept] = await partners.grants(OWNER, org, uow=uow)
        assert kept.end_reason == "revoked"
        assert kept.revoked_by is not None

    async def test_erasure_ends_every_live_grant_before_the_organisation_goes(
        self, uow: MemoryAssessmentUnitOfWork
    ) -> None:
        org, partner = await _organisation(uow), await _partner(uow)
        for _ in range(2):
            await partners.give_grant(
                OWNER,
                org,
                partner_id=partner.partner_id,
                kinds=None,
                expires_at=None,
                backfill=False,
                uow=uow,
            )
        uow.events.clear()
        await organisations.erase(OWNER.account_id, org, uow=uow)
        ended = [e for e in uow.published if isinstance(e, PartnerGrantRevoked)]
        assert [e.reason for e in ended] == ["erased", "erased"]
        assert isinstance(uow.published[-1], OrganisationErased)
        assert all(g.end_reason == "erased" for g in await uow.partners.grants(org))


class TestGrantLife:
    def _grant(self, *, expires_at: datetime | None = None) -> Grant:
        partner = Partner("ptn_1", "B", ("diagnostic.scored",), T0)
        return Grant.give(
            "grt_1",
            organisation_id="org_1",
            account_id="acc_1",
            partner=partner,
            kinds=None,
            given_by=GIVER,
            at=T0,
            expires_at=expires_at,
        )

    def test_live_from_its_giving_until_its_expiry(self) -> None:
        grant = self._grant(expires_at=T0 + timedelta(days=1))
        assert not grant.live(T0 - timedelta(seconds=1))
        assert grant.live(T0)
        assert grant.live(T0 + timedelta(hours=23))
        assert not grant.live(T0 + timedelta(days=1))
        assert grant.status(T0 + timedelta(days=2)) == "expired"

    def test_events_before_the_revocation_pass_and_none_after(self) -> None:
        grant = self._grant()
        grant.end(at=T0 + timedelta(hours=1), reason="revoked", by=GIVER)
        assert grant.live(T0 + timedelta(minutes=59))
        assert not grant.live(T0 + timedelta(hours=1))
        assert grant.status(T0) == "revoked"

    def test_an_expiry_without_time_zone_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            self._grant(expires_at=datetime(2027, 1, 1))

    def test_kinds_are_checked(self) -> None:
        assert checked_kinds(["study.published", "diagnostic.scored"]) == (
            "diagnostic.scored",
            "study.published",
        )
        with pytest.raises(InvalidInput):
            checked_kinds(["nope"])
