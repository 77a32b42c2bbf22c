"""Access tokens: EdDSA signature, expiry, issuer, key ids, scopes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.assessment.domain.accounts import granted_scopes, hash_secret, new_credentials
from shared.auth import (
    PARTNER_SCOPES,
    REPORT_SCOPE,
    SCOPES,
    Access,
    ExpiredToken,
    Principal,
    TokenIssuer,
    TokenVerifier,
    generate_key_pair,
    load_private_key,
)
from shared.errors import Forbidden, Unauthorized

PRIVATE, _ = generate_key_pair()
OTHER_PRIVATE, _ = generate_key_pair()


def _issuer(pem: str = PRIVATE, issuer: str = "dimm") -> TokenIssuer:
    return TokenIssuer(load_private_key(pem), issuer=issuer)


def _principal(**extra: str) -> Principal:
    return Principal("acc_1", frozenset({"organisations:read"}), "premium", "jti-1", **extra)


class TestTokens:
    def test_a_token_round_trips(self) -> None:
        issuer = _issuer()
        token = issuer.issue(_principal(client_id="dimm_ck_1"), ttl=timedelta(minutes=5))
        principal = TokenVerifier([issuer.public_key], issuer="dimm").verify(token)
        assert principal == _principal(client_id="dimm_ck_1")

    def test_a_respondent_token_carries_its_diagnostic(self) -> None:
        issuer = _issuer()
        token = issuer.issue(_principal(diagnostic_id="dg_1", respondent_id="rsp_1"), ttl=timedelta(days=1))
        principal = TokenVerifier([issuer.public_key], issuer="dimm").verify(token)
        assert (principal.diagnostic_id, principal.respondent_id, principal.is_respondent) == (
            "dg_1",
            "rsp_1",
            True,
        )

    def test_an_expired_token_is_refused(self) -> None:
        issuer = _issuer()
        token = issuer.issue(_principal(), ttl=timedelta(seconds=-1))
        with pytest.raises(ExpiredToken, match="expired"):
            TokenVerifier([issuer.public_key], issuer="dimm").verify(token)

    def test_another_key_is_refused(self) -> None:
        token = _issuer(OTHER_PRIVATE).issue(_principal(), ttl=timedelta(minutes=5))
        with pytest.raises(Unauthorized, match="unknown key"):
            TokenVerifier([_issuer().public_key], issuer="dimm").verify(token)

    def test_another_issuer_is_refused(self) -> None:
        issuer = _issuer(issuer="someone-else")
        token = issuer.issue(_principal(), ttl=timedelta(minutes=5))
        with pytest.raises(Unauthorized):
            TokenVerifier([issuer.public_key], issuer="dimm").verify(token)

    def test_garbage_is_refused(self) -> None:
        with pytest.raises(Unauthorized):
            TokenVerifier([_issuer().public_key], issuer="dimm").verify("not.a.token")

    def test_a_verifier_without_keys_says_so(self) -> None:
        with pytest.raises(Unauthorized, match="DIMM_JWT_PUBLIC_KEY"):
            TokenVerifier([], issuer="dimm").verify("x")

    def test_a_missing_scope_is_forbidden(self) -> None:
        with pytest.raises(Forbidden, match="organisations:write"):
            _principal().require("organisations:write")


class TestCredentials:
    def test_secrets_are_kept_hashed_and_checked(self) -> None:
        client_id, secret = new_credentials()
        assert client_id.startswith("dimm_ck_")
        assert secret.startswith("dimm_sk_")
        assert hash_secret(secret) != secret
        assert len(hash_secret(secret)) == 64

    def test_a_token_may_narrow_but_never_widen_the_scopes(self) -> None:
        allowed = ("diagnostics:read", "organisations:read")
        assert granted_scopes(None, allowed) == allowed
        assert granted_scopes("organisations:read", allowed) == ("organisations:read",)
        assert granted_scopes("keys:manage", allowed) is None


class _NothingRevoked:
    async def is_revoked(self, client_id: str) -> bool:
        return False

    async def is_respondent_revoked(self, principal: Principal) -> bool:
        return False


def _link(**extra: Any) -> Principal:
    body: dict[str, Any] = {"diagnostic_id": "dg_1", "client_id": "dimm_ck_1", **extra}
    return Principal("acc_1", frozenset({REPORT_SCOPE}), "free", "jti-2", **body)


class TestReportLinks:
    def _access(self, issuer: TokenIssuer) -> Access:
        return Access(TokenVerifier([issuer.public_key], issuer="dimm"), _NothingRevoked())

    @pytest.mark.asyncio
    async def test_a_link_opens_the_report_of_its_diagnostic(self) -> None:
        issuer = _issuer()
        token = issuer.issue(_link(), ttl=timedelta(minutes=5))
        principal = await self._access(issuer).authenticate(token, report_of="dg_1")
        assert principal.is_report_link
        assert principal == _link()

    @pytest.mark.asyncio
    @pytest.mark.parametrize("report_of", [None, "dg_2"], ids=["any-other-route", "another-report"])
    async def test_a_link_is_refused_anywhere_else(self, report_of: str | None) -> None:
        issuer = _issuer()
        token = issuer.issue(_link(), ttl=timedelta(minutes=5))
        with pytest.raises(Forbidden, match="report link"):
            await self._access(issuer).authenticate(token, report_of=report_of)

    @pytest.mark.asyncio
    async def test_an_account_token_still_opens_a_report(self) -> None:
        issuer = _issuer()
        token = issuer.issue(_principal(), ttl=timedelta(minutes=5))
        assert not (await self._access(issuer).authenticate(token, report_of="dg_1")).is_report_link

    @pytest.mark.parametrize(
        "forged",
        [
            Principal("acc_1", frozenset({REPORT_SCOPE, *SCOPES}), "free", "j", diagnostic_id="dg_1"),
            Principal("acc_1", frozenset({REPORT_SCOPE}), "free", "j"),
            _link(respondent_id="rsp_1"),
        ],
        ids=["with-other-scopes", "without-a-diagnostic", "as-a-respondent"],
    )
    def test_a_report_scope_in_any_other_shape_is_not_valid(self, forged: Principal) -> None:
        issuer = _issuer()
        with pytest.raises(Unauthorized, match="not valid"):
            TokenVerifier([issuer.public_key], issuer="dimm").verify(
                issuer.issue(forged, ttl=timedelta(minutes=5))
            )


class TestPartnerTokens:
    def _access(self, issuer: TokenIssuer) -> Access:
        return Access(TokenVerifier([issuer.public_key], issuer="dimm"), _NothingRevoked())

    def _partner(self) -> Principal:
        return Principal(
            "ptn_1", frozenset(PARTNER_SCOPES), "partner", "jti-3", client_id="dimm_ck_2", partner_id="ptn_1"
        )

    @pytest.mark.asyncio
    async def test_a_partner_token_opens_the_partner_routes_only(self) -> None:
        issuer = _issuer()
        token = issuer.issue(self._partner(), ttl=timedelta(minutes=5))
        assert (await self._access(issuer).authenticate(token, partner_route=True)) == self._partner()
        with pytest.raises(Forbidden, match="partner routes only"):
            await self._access(issuer).authenticate(token)
        with pytest.raises(Forbidden):
            await self._access(issuer).authenticate(token, report_of="dg_1")

    @pytest.mark.asyncio
    async def test_no_other_token_opens_the_partner_routes(self) -> None:
        issuer = _issuer()
        for principal in (_principal(), _link()):
            token = issuer.issue(principal, ttl=timedelta(minutes=5))
            with pytest.raises(Forbidden):
                await self._access(issuer).authenticate(token, partner_route=True)


class _RespondentRevoked(_NothingRevoked):
    def __init__(self) -> None:
        self.reads = 0

    async def is_respondent_revoked(self, principal: Principal) -> bool:
        self.reads += 1
        return True


class TestRespondentRevocation:
    def _token(self, issuer: TokenIssuer) -> str:
        respondent = Principal(
            "acc_1", frozenset({"respondent"}), "free", "j", diagnostic_id="dg_1", respondent_id="rsp_1"
        )
        return issuer.issue(respondent, ttl=timedelta(minutes=5))

    @pytest.mark.asyncio
    async def test_a_revoked_respondent_is_refused(self) -> None:
        issuer = _issuer()
        access = Access(TokenVerifier([issuer.public_key], issuer="dimm"), _RespondentRevoked())
        with pytest.raises(Unauthorized, match="revoked"):
            await access.authenticate(self._token(issuer))

    @pytest.mark.asyncio
    async def test_a_route_whose_own_write_checks_the_respondent_skips_the_read(self) -> None:
        issuer, revocations = _issuer(), _RespondentRevoked()
        access = Access(TokenVerifier([issuer.public_key], issuer="dimm"), revocations)
        principal = await access.authenticate(self._token(issuer), respondent_checked_by_route=True)
        assert principal.respondent_id == "rsp_1"
        assert revocations.reads == 0
