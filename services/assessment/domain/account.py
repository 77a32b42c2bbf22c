"""Accounts (tenants), their plan and their API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Plan = Literal["free", "premium"]
CLIENT_ID_PREFIX = "dimm_ck_"
SECRET_PREFIX = "dimm_sk_"


@dataclass(frozen=True)
class Account:
    """A tenant of the platform: a company, a consultancy, a federation."""

    account_id: str
    name: str
    plan: Plan
    created_at: datetime


@dataclass(frozen=True)
class ApiKey:
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


def hash_secret(secret: str) -> str:
    """Hash a secret; it has 256 random bits, so a plain SHA-256 cannot be brute-forced."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_credentials() -> tuple[str, str]:
    """Make a client id and a secret."""
    return CLIENT_ID_PREFIX + secrets.token_hex(8), SECRET_PREFIX + secrets.token_urlsafe(32)


def granted_scopes(requested: str | None, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
    """Narrow a token to the requested scopes; None when one is not allowed to the key."""
    if not requested:
        return allowed
    wanted = tuple(sorted(set(requested.split())))
    return wanted if set(wanted) <= set(allowed) else None
