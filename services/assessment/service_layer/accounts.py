"""Use cases of accounts, API keys and access tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from services.assessment.domain.accounts import (
    Account,
    ApiKey,
    Plan,
    granted_scopes,
    hash_secret,
    key_scopes,
    new_credentials,
)
from services.assessment.domain.partners import PARTNER_PLAN, is_partner_id
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.auth import Principal, TokenIssuer
from shared.errors import InvalidInput, NotFound, Unauthorized
from shared.mongo import utc_now
from shared.unit_of_work import transactional


@dataclass(frozen=True)
class IssuedKey:
    """A new API key and its secret, which is shown this once."""

    key: ApiKey
    client_secret: str


@transactional
async def create_account(name: str, plan: Plan, *, uow: AssessmentUnitOfWork) -> Account:
    """Open a tenant and announce it."""
    account = Account.open("acc_" + uuid.uuid4().hex[:16], name, plan, at=utc_now())
    async with uow:
        await uow.accounts.add(account)
        uow.collect(account)
        await uow.commit()
    return account


async def get_account(account_id: str, *, uow: AssessmentUnitOfWork) -> Account:
    """Return an account, or raise NotFound."""
    account = await uow.accounts.get(account_id)
    if account is None:
        raise NotFound(f"No account {account_id!r}.")
    return account


@transactional
async def change_plan(account_id: str, plan: Plan, *, uow: AssessmentUnitOfWork) -> Account:
    """Move an account to a plan and announce it; nothing happens if it is already on it."""
    async with uow:
        account = await get_account(account_id, uow=uow)
        if account.change_plan(plan, at=utc_now()):
            await uow.accounts.save(account)
            uow.collect(account)
        await uow.commit()
    return account


async def create_api_key(
    account_id: str,
    name: str,
    scopes: list[str] | None,
    *,
    holder: frozenset[str] | None = None,
    uow: AssessmentUnitOfWork,
) -> IssuedKey:
    """Give an account new client credentials with the scopes asked, at most those the creator holds.

    `holder` is the creating token's scopes; None means the operator, who may grant every scope.
    By default the key gets every scope the creator may grant.
    """
    await get_account(account_id, uow=uow)
    wanted = key_scopes(scopes, holder=holder)
    client_id, secret = new_credentials()
    key = ApiKey(client_id, account_id, name, wanted, hash_secret(secret), utc_now())
    await uow.accounts.add_key(key)
    return IssuedKey(key, secret)


async def list_api_keys(principal: Principal, *, uow: AssessmentUnitOfWork) -> list[ApiKey]:
    """List the calling account's API keys."""
    principal.require("keys:manage")
    return await uow.accounts.keys(principal.account_id)


@transactional
async def revoke_api_key(account_id: str, client_id: str, *, uow: AssessmentUnitOfWork) -> None:
    """Revoke a key: its tokens are refused from now on, here and (through the event) elsewhere."""
    async with uow:
        key = await uow.accounts.key(client_id)
        if key is None or key.account_id != account_id:
            raise NotFound(f"No active API key {client_id!r}.")
        key.revoke(at=utc_now())
        if not await uow.accounts.save_key(key):
            raise NotFound(f"No active API key {client_id!r}.")
        uow.collect(key)
        await uow.commit()


async def issue_token(
    client_id: str,
    client_secret: str,
    scope: str | None,
    *,
    uow: AssessmentUnitOfWork,
    issuer: TokenIssuer,
    ttl: timedelta,
) -> tuple[str, tuple[str, ...]]:
    """Exchange client credentials for a short-lived token (OAuth2 client credentials)."""
    key = await uow.accounts.key(client_id)
    if key is None or not key.active or not key.accepts(client_secret):
        raise Unauthorized("The client credentials are wrong, or the key was revoked.")
    scopes = granted_scopes(scope, key.scopes)
    if scopes is None:
        raise InvalidInput(
            "A requested scope is not granted to this key.",
            errors=[{"path": "scope", "message": "invalid_scope"}],
        )
    principal = await _principal(key, scopes, uow=uow)
    return issuer.issue(principal, ttl=ttl), scopes


async def _principal(key: ApiKey, scopes: tuple[str, ...], *, uow: AssessmentUnitOfWork) -> Principal:
    """Say whom a key's token speaks for: its account, or its partner (an active one only)."""
    token_id = uuid.uuid4().hex
    if is_partner_id(key.account_id):
        partner = await uow.partners.get(key.account_id)
        if partner is None or not partner.active:
            raise Unauthorized("The client credentials are wrong, or the key was revoked.")
        return Principal(
            partner.partner_id,
            frozenset(scopes),
            PARTNER_PLAN,
            token_id,
            client_id=key.client_id,
            partner_id=partner.partner_id,
        )
    account = await uow.accounts.get(key.account_id)
    if account is None:
        raise Unauthorized("The client credentials are wrong, or the key was revoked.")
    return Principal(account.account_id, frozenset(scopes), account.plan, token_id, client_id=key.client_id)


async def key_is_revoked(client_id: str, *, uow: AssessmentUnitOfWork) -> bool:
    """Tell whether the key behind a token is gone or revoked."""
    key = await uow.accounts.key(client_id)
    return key is None or not key.active
