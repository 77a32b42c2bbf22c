"""Use cases of accounts, API keys and access tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from pymongo.asynchronous.client_session import AsyncClientSession

from services.assessment.adapters.accounts import AccountRepository
from services.assessment.domain.account import (
    Account,
    ApiKey,
    Plan,
    granted_scopes,
    hash_secret,
    new_credentials,
)
from shared.auth import SCOPES, Principal, TokenIssuer, TokenVerifier
from shared.errors import InvalidInput, NotFound, Unauthorized
from shared.events.contracts.assessment import ApiKeyRevoked
from shared.messaging.outbox import Outbox
from shared.mongo import Client, in_transaction, utc_now


@dataclass(frozen=True)
class IssuedKey:
    """A new API key and its secret, which is shown this once."""

    key: ApiKey
    client_secret: str


async def create_account(name: str, plan: Plan, *, accounts: AccountRepository) -> Account:
    """Create a tenant."""
    account = Account(account_id="acc_" + uuid.uuid4().hex[:16], name=name, plan=plan, created_at=utc_now())
    await accounts.add(account)
    return account


async def get_account(account_id: str, *, accounts: AccountRepository) -> Account:
    """Return an account, or raise NotFound."""
    account = await accounts.get(account_id)
    if account is None:
        raise NotFound(f"No account {account_id!r}.")
    return account


async def create_api_key(
    account_id: str, name: str, scopes: list[str] | None, *, accounts: AccountRepository
) -> IssuedKey:
    """Give an account new client credentials with the scopes asked (all by default)."""
    await get_account(account_id, accounts=accounts)
    wanted = tuple(sorted(set(scopes))) if scopes else tuple(sorted(SCOPES))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise InvalidInput(
            f"Unknown scope(s): {', '.join(unknown)}.",
            errors=[{"path": "scopes", "message": f"choose from {sorted(SCOPES)}"}],
        )
    client_id, secret = new_credentials()
    key = ApiKey(client_id, account_id, name, wanted, hash_secret(secret), utc_now())
    await accounts.add_key(key)
    return IssuedKey(key, secret)


async def revoke_api_key(
    account_id: str, client_id: str, *, client: Client, accounts: AccountRepository, outbox: Outbox
) -> None:
    """Revoke a key: its tokens are refused from now on, here and (through the event) elsewhere."""
    now = utc_now()

    async def work(session: AsyncClientSession) -> bool:
        if not await accounts.revoke_key(client_id, account_id, at=now, session=session):
            return False
        await outbox.add(
            ApiKeyRevoked(client_id=client_id, account_id=account_id, revoked_at=now),
            subject=account_id,
            session=session,
        )
        return True

    if not await in_transaction(client, work):
        raise NotFound(f"No active API key {client_id!r}.")


async def issue_token(
    client_id: str,
    client_secret: str,
    scope: str | None,
    *,
    accounts: AccountRepository,
    issuer: TokenIssuer,
    ttl: timedelta,
) -> tuple[str, tuple[str, ...]]:
    """Exchange client credentials for a short-lived token (OAuth2 client credentials)."""
    key = await accounts.key(client_id)
    if key is None or not key.active or not key.accepts(client_secret):
        raise Unauthorized("The client credentials are wrong, or the key was revoked.")
    account = await accounts.get(key.account_id)
    if account is None:
        raise Unauthorized("The client credentials are wrong, or the key was revoked.")
    scopes = granted_scopes(scope, key.scopes)
    if scopes is None:
        raise InvalidInput(
            "A requested scope is not granted to this key.",
            errors=[{"path": "scope", "message": "invalid_scope"}],
        )
    principal = Principal(
        account.account_id, frozenset(scopes), account.plan, uuid.uuid4().hex, client_id=client_id
    )
    return issuer.issue(principal, ttl=ttl), scopes


async def authenticate(token: str, *, verifier: TokenVerifier, accounts: AccountRepository) -> Principal:
    """Verify a token and refuse it if the key that obtained it has been revoked."""
    principal = verifier.verify(token)
    if principal.client_id is not None:
        key = await accounts.key(principal.client_id)
        if key is None or not key.active:
            raise Unauthorized("The API key behind this token has been revoked.")
    return principal
