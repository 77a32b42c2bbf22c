"""Access tokens: EdDSA-signed JWTs issued by assessment, verified by every service."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.errors import Forbidden, Unauthorized

AUDIENCE = "dimm-api"
ALGORITHM = "EdDSA"

SCOPES: dict[str, str] = {
    "organisations:read": "read the account's organisations",
    "organisations:write": "create, change and erase organisations",
    "diagnostics:read": "read diagnostics, answers and exports",
    "diagnostics:write": "open diagnostics, invite respondents, answer, validate, submit",
    "keys:manage": "create, list and revoke the account's API keys",
}
RESPONDENT_SCOPE = "respondent"
#: The scopes of a partner's keys; an account's keys cannot carry them, nor a partner's any other.
PARTNER_SCOPES: dict[str, str] = {
    "partner:events": "read the partner's feed of consented events",
    "partner:webhooks": "manage the partner's webhook endpoints and their delivery log",
}
#: The only scope of a report link's token: it opens the report of its diagnostic (`diag`), nothing else.
REPORT_SCOPE = "report:read"


class ExpiredToken(Unauthorized):
    """A token whose lifetime is over: its holder needs a fresh one."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account (through one of its API keys) or a respondent of one diagnostic."""

    account_id: str
    scopes: frozenset[str]
    plan: str
    token_id: str
    client_id: str | None = None
    diagnostic_id: str | None = None
    respondent_id: str | None = None
    #: Set for a partner's token: `account_id` is then the partner's id, and only partner routes accept it.
    partner_id: str | None = None

    @property
    def is_partner(self) -> bool:
        """Tell whether the token is a partner's (only partner routes accept it)."""
        return self.partner_id is not None

    @property
    def is_respondent(self) -> bool:
        """Tell whether the token only lets its holder answer one diagnostic."""
        return self.respondent_id is not None

    @property
    def is_report_link(self) -> bool:
        """Tell whether the token only opens the report of one diagnostic."""
        return REPORT_SCOPE in self.scopes

    def require(self, scope: str) -> None:
        """Refuse the call unless the token carries the scope."""
        if scope not in self.scopes:
            raise Forbidden(f"This token lacks the {scope!r} scope.")


def key_id(public_key: Ed25519PublicKey) -> str:
    """Derive a stable key id from a public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """Return a public key as a JWK (RFC 8037)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url(raw),
        "kid": key_id(public_key),
        "use": "sig",
        "alg": ALGORITHM,
    }


def load_private_key(pem: str) -> Ed25519PrivateKey:
    """Read an Ed25519 private key in PEM (ValueError if it is not one)."""
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (TypeError, ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"not a PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key must be an Ed25519 private key")
    return key


def load_public_key(pem: str) -> Ed25519PublicKey:
    """Read an Ed25519 public key in PEM (ValueError if it is not one)."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (TypeError, ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the verification key must be an Ed25519 public key")
    return key


def generate_key_pair() -> tuple[str, str]:
    """Make a new Ed25519 key pair, as (private PEM, public PEM)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


class TokenIssuer:
    """Sign access tokens (assessment only)."""

    def __init__(self, private_key: Ed25519PrivateKey, *, issuer: str) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self._kid = key_id(self.public_key)
        self._issuer = issuer

    def issue(self, principal: Principal, *, ttl: timedelta, now: datetime | None = None) -> str:
        """Sign a token for a principal, valid for `ttl`."""
        issued = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": AUDIENCE,
            "sub": principal.account_id,
            "iat": int(issued.timestamp()),
            "exp": int((issued + ttl).timestamp()),
            "jti": principal.token_id or uuid.uuid4().hex,
            "scope": " ".join(sorted(principal.scopes)),
            "plan": principal.plan,
        }
        extras = {
            "cid": principal.client_id,
            "diag": principal.diagnostic_id,
            "rsp": principal.respondent_id,
            "ptn": principal.partner_id,
        }
        claims.update({k: v for k, v in extras.items() if v is not None})
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self._kid})


class TokenVerifier:
    """Check a token's signature, issuer, audience and expiry; every service has one."""

    def __init__(self, public_keys: list[Ed25519PublicKey], *, issuer: str) -> None:
        self._keys = {key_id(k): k for k in public_keys}
        self._issuer = issuer

    def verify(self, token: str) -> Principal:
        """Return the token's principal, or raise Unauthorized saying why."""
        if not self._keys:
            raise Unauthorized("This service has no key to verify tokens with (DIMM_JWT_PUBLIC_KEY).")
        try:
            kid = jwt.get_unverified_header(token).get("kid", "")
            key = self._keys.get(kid)
            if key is None:
                raise Unauthorized("The token was signed with an unknown key.")
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise ExpiredToken("The token has expired.") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("The token is not valid.") from exc
        principal = Principal(
            account_id=str(claims["sub"]),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            plan=str(claims.get("plan", "free")),
            token_id=str(claims["jti"]),
            client_id=claims.get("cid"),
            diagnostic_id=claims.get("diag"),
            respondent_id=claims.get("rsp"),
            partner_id=claims.get("ptn"),
        )
        # A report link carries its scope alone and names its diagnostic; anything else is not ours.
        if principal.is_report_link and (
            principal.scopes != {REPORT_SCOPE} or principal.diagnostic_id is None or principal.is_respondent
        ):
            raise Unauthorized("The token is not valid.")
        return principal


class KeyRevocations(Protocol):
    """Tell whether the API key that obtained a token, or the respondent given it, was revoked since."""

    async def is_revoked(self, client_id: str) -> bool:
        """Tell whether a key is revoked (or unknown)."""

    async def is_respondent_revoked(self, principal: Principal) -> bool:
        """Tell whether a respondent token's respondent was revoked from its diagnostic."""


@dataclass(frozen=True)
class Access:
    """How a service authenticates a caller: the token's signature, then whether it was revoked."""

    verifier: TokenVerifier
    revocations: KeyRevocations

    async def authenticate(
        self,
        token: str,
        *,
        report_of: str | None = None,
        partner_route: bool = False,
        respondent_checked_by_route: bool = False,
    ) -> Principal:
        """Return the token's principal, or raise Unauthorized saying why.

        A report link's token is refused (403) everywhere but on the report of its own diagnostic,
        which only the report's routes name in `report_of`. A partner's token is refused everywhere
        but on the partner routes (`partner_route`), where every other token is refused. A route
        whose own write refuses a revoked respondent (an answer's conditional write) says so with
        `respondent_checked_by_route`: their revocation is then not read here too.
        """
        principal = self.verifier.verify(token)
        if principal.is_report_link and principal.diagnostic_id != report_of:
            raise Forbidden("This token is a report link: it opens its diagnostic's report and nothing else.")
        if principal.is_partner and not partner_route:
            raise Forbidden("A partner's token is accepted on the partner routes only.")
        if partner_route and not principal.is_partner:
            raise Forbidden("Only a partner's token is accepted on the partner routes.")
        if principal.client_id is not None and await self.revocations.is_revoked(principal.client_id):
            raise Unauthorized("The API key behind this token has been revoked.")
        if (
            principal.respondent_id is not None
            and not respondent_checked_by_route
            and await self.revocations.is_respondent_revoked(principal)
        ):
            raise Unauthorized("This respondent's access has been revoked.")
        return principal
