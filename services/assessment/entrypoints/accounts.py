"""HTTP routes of accounts, API keys, the OAuth2 token endpoint and the JWKS."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import JSONResponse

from services.assessment.entrypoints.account_schemas import (
    AccountCreate,
    AccountPatch,
    AccountView,
    ApiKeyCreate,
    ApiKeyList,
    ApiKeyView,
    IssuedKeyView,
    TokenView,
)
from services.assessment.entrypoints.dependencies import Caller, Deps, UoW, require_operator
from services.assessment.entrypoints.idempotency import IdempotencyKey, idempotent
from services.assessment.service_layer import accounts as cases
from shared.auth import jwk
from shared.errors import InvalidInput, Unauthorized
from shared.http import Throttle, problem_responses

router = APIRouter(tags=["accounts and access"])
_PROBLEM = problem_responses(401, 403, 404, 409, 422)


@router.post(
    "/v1/accounts",
    status_code=201,
    response_model=AccountView,
    responses=_PROBLEM,
    dependencies=[Depends(require_operator)],
)
async def create_account(body: AccountCreate, uow: UoW, key: IdempotencyKey = None) -> JSONResponse:
    """Create an account (operator)."""

    async def action() -> AccountView:
        return AccountView.of(await cases.create_account(body.name, body.plan, uow=uow))

    return await idempotent(uow.idempotency, scope="operator:accounts", key=key, payload=body, action=action)


@router.get(
    "/v1/accounts/{account_id}",
    response_model=AccountView,
    responses=_PROBLEM,
    dependencies=[Depends(require_operator)],
)
async def get_account(account_id: str, uow: UoW) -> AccountView:
    """Return an account (operator)."""
    return AccountView.of(await cases.get_account(account_id, uow=uow))


@router.patch(
    "/v1/accounts/{account_id}",
    response_model=AccountView,
    responses=_PROBLEM,
    dependencies=[Depends(require_operator)],
)
async def change_plan(account_id: str, body: AccountPatch, uow: UoW) -> AccountView:
    """Move an account to another plan (operator); tokens issued from now on carry it."""
    return AccountView.of(await cases.change_plan(account_id, body.plan, uow=uow))


@router.post(
    "/v1/accounts/{account_id}/api-keys",
    status_code=201,
    response_model=IssuedKeyView,
    responses=_PROBLEM,
    dependencies=[Depends(require_operator)],
)
async def create_key_for(
    account_id: str, body: ApiKeyCreate, uow: UoW, key: IdempotencyKey = None
) -> JSONResponse:
    """Give an account its first (or any) API key (operator); the secret is shown once."""

    async def action() -> IssuedKeyView:
        issued = await cases.create_api_key(account_id, body.name, body.scopes, uow=uow)
        return IssuedKeyView(**ApiKeyView.of(issued.key).model_dump(), client_secret=issued.client_secret)

    return await idempotent(
        uow.idempotency,
        scope=f"operator:keys:{account_id}",
        key=key,
        payload=body,
        action=action,
        holds_secret=True,
    )


@router.get("/v1/api-keys", response_model=ApiKeyList, responses=_PROBLEM)
async def list_keys(caller: Caller, uow: UoW) -> ApiKeyList:
    """List the calling account's API keys."""
    return ApiKeyList(keys=[ApiKeyView.of(k) for k in await cases.list_api_keys(caller, uow=uow)])


@router.post("/v1/api-keys", status_code=201, response_model=IssuedKeyView, responses=_PROBLEM)
async def create_key(
    body: ApiKeyCreate, caller: Caller, uow: UoW, key: IdempotencyKey = None
) -> JSONResponse:
    """Create an API key for the calling account; the secret is shown once."""
    caller.require("keys:manage")

    async def action() -> IssuedKeyView:
        issued = await cases.create_api_key(
            caller.account_id, body.name, body.scopes, holder=caller.scopes, uow=uow
        )
        return IssuedKeyView(**ApiKeyView.of(issued.key).model_dump(), client_secret=issued.client_secret)

    return await idempotent(
        uow.idempotency,
        scope=f"{caller.account_id}:keys",
        key=key,
        payload=body,
        action=action,
        holds_secret=True,
    )


@router.delete("/v1/api-keys/{client_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEM)
async def revoke_key(client_id: str, caller: Caller, uow: UoW) -> None:
    """Revoke one of the calling account's keys; tokens it obtained stop working."""
    caller.require("keys:manage")
    await cases.revoke_api_key(caller.account_id, client_id, uow=uow)


@router.post("/v1/oauth/token", response_model=TokenView, responses=problem_responses(401, 422, 429))
async def token(
    request: Request,
    uow: UoW,
    deps: Deps,
    throttle: Throttle,
    grant_type: Annotated[str, Form()],
    client_id: Annotated[str, Form(max_length=128)],
    client_secret: Annotated[str, Form(max_length=256)],
    scope: Annotated[str | None, Form(max_length=1000)] = None,
) -> TokenView:
    """Exchange client credentials for a short-lived access token (OAuth2 client credentials).

    After too many failures for the client id or from the address, 429 until the window ends.
    """
    if grant_type != "client_credentials":
        raise InvalidInput(
            "Only the client_credentials grant is supported.",
            errors=[{"path": "grant_type", "message": "unsupported_grant_type"}],
        )
    keys = [f"token:client:{client_id}", f"token:addr:{throttle.address(request)}"]
    await throttle.check(keys)
    ttl = deps.token_ttl
    try:
        access_token, scopes = await cases.issue_token(
            client_id, client_secret, scope, uow=uow, issuer=deps.issuer, ttl=ttl
        )
    except Unauthorized:
        await throttle.failed(keys)
        raise
    await throttle.succeeded(keys[0])
    return TokenView(access_token=access_token, expires_in=int(ttl.total_seconds()), scope=" ".join(scopes))


@router.get("/.well-known/jwks.json")
async def jwks(deps: Deps) -> dict[str, list[dict[str, str]]]:
    """Publish the public key that verifies this platform's access tokens."""
    return {"keys": [jwk(deps.issuer.public_key)]}
