"""Standard Webhooks signing: `whsec_` secrets, `v1,` HMAC-SHA256 signatures and the request headers."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets as random_source
from collections.abc import Sequence

from shared.errors import InvalidInput

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
MESSAGE_ID_PREFIX = "msg_"
SIGNATURE_VERSION = "v1"
USER_AGENT = "DIMM-Webhooks/1.0"
# The id is the first field of the signed "id.timestamp.body": a dot or a space would make it ambiguous.
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_\-]{1,128}")


class InvalidSecret(InvalidInput, ValueError):
    """A webhook secret that is not `whsec_` followed by base64 of 24 to 64 bytes."""


def new_secret() -> str:
    """Make a fresh endpoint secret: `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(random_source.token_bytes(SECRET_BYTES)).decode("ascii")


def parse_secret(secret: str) -> bytes:
    """Return the key bytes of a `whsec_` secret, refusing a malformed or badly sized one."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret(f"A webhook secret starts with {SECRET_PREFIX!r}.")
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        # Other libraries write the base64 unpadded: pad it before a strict decode.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error as error:
        raise InvalidSecret("A webhook secret is base64 after its prefix.") from error
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise InvalidSecret(
            f"A webhook secret holds {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes, not {len(key)}."
        )
    return key


def new_message_id() -> str:
    """Make a message id (`msg_` and 128 random bits), the `webhook-id` of every attempt of it."""
    return MESSAGE_ID_PREFIX + random_source.token_hex(16)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Sign `id.timestamp.body` with HMAC-SHA256 and give `v1,<base64 signature>`."""
    if not _MESSAGE_ID.fullmatch(msg_id):
        raise InvalidInput(f"{msg_id!r} is not a valid webhook message id.")
    if timestamp < 0:
        raise InvalidInput("A webhook timestamp is a number of seconds since the epoch.")
    signed = msg_id.encode("ascii") + b"." + str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(parse_secret(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signature_header(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """Sign with every secret valid now (a rotation has two) and join the signatures with spaces."""
    if not secrets:
        raise InvalidInput("A webhook is signed with at least one secret.")
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def headers(
    secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes, *, user_agent: str = USER_AGENT
) -> dict[str, str]:
    """Give the headers of one attempt: the message id stays, the timestamp is the attempt's own."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": user_agent,
    }
