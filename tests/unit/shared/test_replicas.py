"""Revocations copied from assessment's events: a revoked key's or respondent's token is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.scoring.adapters.memory import MemoryScoringUnitOfWork
from shared.auth import Access, Principal, TokenIssuer, TokenVerifier, generate_key_pair, load_private_key
from shared.errors import Unauthorized
from shared.events.contracts.assessment import RespondentRevoked
from shared.replicas import CopiedRevocations, remember_revoked_respondent

pytestmark = pytest.mark.asyncio

PRIVATE, _ = generate_key_pair()
ISSUER = TokenIssuer(load_private_key(PRIVATE), issuer="dimm")
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _respondent(respondent_id: str) -> str:
    principal = Principal(
        "acc_1",
        frozenset({"respondent"}),
        "free",
        "jti",
        diagnostic_id="dg_1",
        respondent_id=respondent_id,
    )
    return ISSUER.issue(principal, ttl=timedelta(days=1))


def _revoked(respondent_id: str) -> RespondentRevoked:
    return RespondentRevoked(
        respondent_id=respondent_id,
        diagnostic_id="dg_1",
        organisation_id="org_1",
        account_id="acc_1",
        revoked_at=NOW,
    )


class TestRevokedRespondents:
    async def test_a_revoked_respondents_token_is_a_401_and_another_respondent_still_passes(self) -> None:
        uow = MemoryScoringUnitOfWork()
        access = Access(TokenVerifier([ISSUER.public_key], issuer="dimm"), CopiedRevocations(lambda: uow))
        assert (await access.authenticate(_respondent("rsp_a"))).respondent_id == "rsp_a"
        await remember_revoked_respondent(_revoked("rsp_a"), uow)
        with pytest.raises(Unauthorized, match="revoked"):
            await access.authenticate(_respondent("rsp_a"))
        assert (await access.authenticate(_respondent("rsp_b"))).respondent_id == "rsp_b"

    async def test_a_second_delivery_keeps_the_first_revocation(self) -> None:
        uow = MemoryScoringUnitOfWork()
        await remember_revoked_respondent(_revoked("rsp_a"), uow)
        later = _revoked("rsp_a").model_copy(update={"revoked_at": NOW + timedelta(hours=1)})
        await remember_revoked_respondent(later, uow)
        assert uow.revoked_keys.respondents == {"rsp_a": NOW}

    async def test_an_api_key_token_is_not_taken_for_a_respondent(self) -> None:
        uow = MemoryScoringUnitOfWork()
        await remember_revoked_respondent(_revoked("rsp_a"), uow)
        access = Access(TokenVerifier([ISSUER.public_key], issuer="dimm"), CopiedRevocations(lambda: uow))
        token = ISSUER.issue(
            Principal("acc_1", frozenset({"diagnostics:read"}), "free", "j", client_id="dimm_ck_1"),
            ttl=timedelta(minutes=5),
        )
        assert (await access.authenticate(token)).client_id == "dimm_ck_1"
