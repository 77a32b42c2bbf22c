"""Honour the Idempotency-Key header on POSTs that create something."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.assessment.service_layer.ports import IdempotencyRepository
from shared.errors import Conflict, InvalidInput
from shared.mongo import utc_now

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Send the same key again to get the first response instead of a second creation.",
    ),
]


def _hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(jsonable_encoder(payload), sort_keys=True).encode()).hexdigest()


async def idempotent(
    repo: IdempotencyRepository,
    *,
    scope: str,
    key: str | None,
    payload: Any,
    action: Callable[[], Awaitable[BaseModel]],
    status_code: int = 201,
    holds_secret: bool = False,
) -> JSONResponse:
    """Run `action` once per key; a repeat gets the first response (or a 409 if it held a secret)."""
    if key is None:
        return JSONResponse(jsonable_encoder(await action()), status_code=status_code)
    request_hash = _hash(payload)
    remembered = await repo.claim(scope, key, request_hash, at=utc_now())
    if remembered is not None:
        if remembered.request_hash != request_hash:
            raise InvalidInput("This Idempotency-Key was already used with a different request.")
        if remembered.status is None:
            raise Conflict("A request with this Idempotency-Key is still being processed.")
        if holds_secret:
            raise Conflict(
                f"This request was already processed ({remembered.body}); its secret is shown only once."
            )
        return JSONResponse(
            remembered.body, status_code=remembered.status, headers={"Idempotent-Replayed": "true"}
        )
    try:
        result = await action()
    except BaseException:
        await repo.release(scope, key)
        raise
    body = jsonable_encoder(result)
    await repo.complete(scope, key, status=status_code, body=_identity(body) if holds_secret else body)
    return JSONResponse(body, status_code=status_code)


def _identity(body: Any) -> str:
    """Name what a secret-bearing response created, without the secret."""
    if isinstance(body, dict):
        for field in ("client_id", "respondent_id"):
            if field in body:
                return f"{field} {body[field]}"
        inner = body.get("respondent")
        if isinstance(inner, dict) and "respondent_id" in inner:
            return f"respondent_id {inner['respondent_id']}"
    return "created"
