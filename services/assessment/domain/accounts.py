"""Accounts (tenants), their plan and their API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from shared.aggregate import Aggregate
from shared.auth import SCOPES
from shared.errors import Forbidden, InvalidInput, NotFound
from shared.events.contracts.assessment import AccountOpened, AccountPlanChanged, ApiKeyRevoked
from shared.events.contracts.assessment import Plan as Plan

CLIENT_ID_PREFIX = "dimm_ck_"
SECRET_PREFIX = "dimm_sk_"


@dataclass
class Account(Aggregate):
    """A tenant of the platform: a company, a consultancy, a federation."""

    account_id: str
    name: str
    plan: Plan
    created_at: datetime

    @classmethod
    def open(cls, account_id: str, name: str, plan: Plan, *, at: datetime) -> Account:
        """Open an account on a plan and announce it."""
        account = cls(account_id=account_id, name=name, plan=plan, created_at=at)
        account.record(AccountOpened(account_id=account_id, plan=plan, opened_at=at), subject=account_id)
        return account

    def change_plan(self, plan: Plan, *, at: datetime) -> bool:
        """Move the account to another plan and announce it; False (and no event) if it is already on it."""
        if plan == self.plan:
            return False
        previous, self.plan = self.plan, plan
        self.record(
            AccountPlanChanged(account_id=self.account_id, plan=plan, previous_plan=previous, changed_at=at),
            subject=self.account_id,
        )
        return True


@dataclass
class ApiKey(Aggregate):
    """OAuth2 client credentials of an account; only a hash of the secret is kept."""

    client_id: str
    account_id: str
    name: str
    scopes: tuple[str, ...]
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Tell whether the key may still obtain tokens."""
        return self.revoked_at is None

    def accepts(self, secret: str) -> bool:
        """Check a presented secret in constant time."""
        return hmac.compare_digest(hash_secret(secret), self.secret_hash)

    def revoke(self, *, at: datetime) -> None:
        """Revoke the key: its tokens are refused from now on, here and (through the event) elsewhere."""
        if not self.active:
            raise NotFound(f"No active API key {self.client_id!r}.")
        self.revoked_at = at
        self.record(
            ApiKeyRevoked(client_id=self.client_id, account_id=self.account_id, revoked_at=at),
            subject=self.account_id,
        )


def hash_secret(secret: str) -> str:
    """Hash a secret; it has 256 random bits, so a plain SHA-256 cannot be brute-forced."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_credentials() -> tuple[str, str]:
    """Make a client id and a secret."""
    return CLIENT_ID_PREFIX + secrets.token_hex(8), SECRET_PREFIX + secrets.token_urlsafe(32)


def key_scopes(requested: list[str] | None, *, holder: frozenset[str] | None = None) -> tuple[str, ...]:
    """Return the scopes of a new key, refusing unknown ones and any its creator does not hold.

    `holder` is the creating token's scopes (None for the operator, who may grant any); asking
    for none gives the holder's scopes.
    """
    grantable = set(SCOPES) if holder is None else set(SCOPES) & holder
    wanted = tuple(sorted(set(requested))) if requested else tuple(sorted(grantable))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise InvalidInput(
            f"Unknown scope(s): {', '.join(unknown)}.",
            errors=[{"path": "scopes", "message": f"choose from {sorted(SCOPES)}"}],
        )
    # A key may not do more than whoever made it: otherwise keys:manage alone is every scope.
    not_held = [s for s in wanted if s not in grantable]
    if not_held:
        raise Forbidden(
            f"A key can only grant scopes its creator holds; this token lacks: {', '.join(not_held)}.",
            errors=[{"path": "scopes", "message": f"not held: {not_held}"}],
        )
    return wanted


def granted_scopes(requested: str | None, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
    """Narrow a token to the requested scopes; None when one is not allowed to the key."""
    if not requested:
        return allowed
    wanted = tuple(sorted(set(requested.split())))
    return wanted if set(wanted) <= set(allowed) else None
