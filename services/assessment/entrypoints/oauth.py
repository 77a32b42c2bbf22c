"""The token endpoint as RFC 6749 has it (§2.3.1, §4.4, §5.1, §5.2): client credentials only.

Clients authenticate with HTTP Basic (the id and secret form-urlencoded, then base64) or with
`client_id` and `client_secret` in the form body, never both. Errors on this endpoint are the
RFC's `{"error": …, "error_description": …}` with 400 or 401 (problem bodies stay everywhere
else); every answer carries `Cache-Control: no-store`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote_plus

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.requests import Request

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
BASIC_CHALLENGE = 'Basic realm="dimm", charset="UTF-8"'
MAX_FIELD = 1000


class OAuthError(Exception):
    """An RFC 6749 §5.2 error: its code, a description, and the status it is answered with."""

    def __init__(self, error: str, description: str, *, status: int = 400, retry_after: int | None = None):
        super().__init__(description)
        self.error, self.description, self.status, self.retry_after = error, description, status, retry_after

    def response(self) -> JSONResponse:
        """Answer the error as the RFC says, never cached; a 401 challenges for Basic."""
        headers = dict(NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = BASIC_CHALLENGE
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers=headers)


@dataclass(frozen=True)
class TokenRequest:
    """A client-credentials token request, authenticated one way or the other."""

    client_id: str
    client_secret: str
    scope: str | None
    basic: bool


def _basic(header: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(header.split(" ", 1)[1].strip(), validate=True).decode("utf-8")
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client", "The Basic credentials cannot be read.", status=401) from exc
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise OAuthError("invalid_client", "The Basic credentials have no secret.", status=401)
    return unquote_plus(client_id), unquote_plus(secret)


async def read_token_request(request: Request) -> TokenRequest:
    """Read and check the form and the client authentication, or raise an RFC error."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise OAuthError("invalid_request", "Send the parameters as application/x-www-form-urlencoded.")
    form = await request.form()
    fields: dict[str, str] = {}
    for name in ("grant_type", "client_id", "client_secret", "scope"):
        values = form.getlist(name)
        if len(values) > 1:
            raise OAuthError("invalid_request", f"The parameter {name} is repeated.")
        if values:
            value = values[0]
            if not isinstance(value, str) or len(value) > MAX_FIELD:
                raise OAuthError("invalid_request", f"The parameter {name} is not a short text.")
            fields[name] = value
    grant_type = fields.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "The grant_type parameter is required.")
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type", "Only the client_credentials grant is supported.")
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("basic "):
        if "client_secret" in fields:
            raise OAuthError("invalid_request", "Authenticate with Basic or in the body, not both.")
        client_id, secret = _basic(authorization)
        if fields.get("client_id", client_id) != client_id:
            raise OAuthError("invalid_request", "The client_id differs from the Basic credentials.")
        return TokenRequest(client_id, secret, fields.get("scope"), basic=True)
    if not fields.get("client_id") or "client_secret" not in fields:
        raise OAuthError(
            "invalid_client",
            "Client authentication is required (Basic or client_id and client_secret).",
            status=401,
        )
    return TokenRequest(fields["client_id"], fields["client_secret"], fields.get("scope"), basic=False)


#: The form, declared by hand in the OpenAPI document (the route reads it itself, to answer RFC errors).
TOKEN_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {"type": "string", "maxLength": MAX_FIELD},
                        "client_secret": {"type": "string", "maxLength": MAX_FIELD, "format": "password"},
                        "scope": {
                            "type": "string",
                            "maxLength": MAX_FIELD,
                            "description": "Space-separated scopes, a subset of the key's.",
                        },
                    },
                }
            }
        },
    },
    "security": [{"basicClient": []}, {}],
}


class OAuthErrorBody(BaseModel):
    """An error of the token endpoint, as RFC 6749 §5.2 has it."""

    error: Literal[
        "invalid_request",
        "invalid_client",
        "unsupported_grant_type",
        "invalid_scope",
        "temporarily_unavailable",
    ]
    error_description: str
