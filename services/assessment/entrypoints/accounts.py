"""HTTP routes of accounts, API keys, the OAuth2 token endpoint and the JWKS."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, status
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
from services.assessment.entrypoints.oauth import (
    NO_STORE,
    TOKEN_OPENAPI,
    OAuthError,
    OAuthErrorBody,
    read_token_request,
)
from services.assessment.service_layer import accounts as cases
from shared.auth import jwk
from shared.errors import InvalidInput, TooManyRequests, Unauthorized
from shared.http import Throttle, problem_responses

router = APIRouter(tags=["accounts and access"])
_PROBLEM = problem_responses(401, 403, 404, 409, 422)


@router.post(
    "/v1/accounts",
    status_code=201,
    response_model=AccountView,
    responses=_PROBLEM,
    dependencies=[Depends(require_operator)],
    operation_id="createAccount",
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
    operation_id="getAccount",
)
async def get_account(account_id: str, uow: UoW) -> AccountView:
    """Return an account (operator)."""
    return AccountView.of(await cases.get_account(account_id, uow=uow))


@router.patch(
    "/v1/accounts/{account_id}",
    response_model=AccountView,
    responses=_PROBLEM,
    dependencies=[Depends(require_operator)],
    operation_id="changeAccountPlan",
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
    operation_id="createAccountApiKey",
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


@router.get("/v1/api-keys", response_model=ApiKeyList, responses=_PROBLEM, operation_id="listApiKeys")
async def list_keys(caller: Caller, uow: UoW) -> ApiKeyList:
    """List the calling account's API keys."""
    return ApiKeyList(keys=[ApiKeyView.of(k) for k in await cases.list_api_keys(caller, uow=uow)])


@router.post(
    "/v1/api-keys",
    status_code=201,
    response_model=IssuedKeyView,
    responses=_PROBLEM,
    operation_id="createApiKey",
)
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


@router.delete(
    "/v1/api-keys/{client_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_PROBLEM,
    operation_id="revokeApiKey",
)
async def revoke_key(client_id: str, caller: Caller, uow: UoW) -> None:
    """Revoke one of the calling account's keys; tokens it obtained stop working."""
    caller.require("keys:manage")
    await cases.revoke_api_key(caller.account_id, client_id, uow=uow)


@router.post(
    "/v1/oauth/token",
    response_model=TokenView,
    responses={
        400: {"description": "RFC 6749 §5.2 error", "model": OAuthErrorBody},
        401: {"description": "invalid_client (RFC 6749 §5.2)", "model": OAuthErrorBody},
        429: {"description": "Too many failed attempts: retry after Retry-After", "model": OAuthErrorBody},
    },
    openapi_extra=TOKEN_OPENAPI,
    operation_id="issueToken",
)
async def token(request: Request, deps: Deps, throttle: Throttle) -> JSONResponse:
    """Exchange client credentials for a short-lived access token (OAuth2 client credentials).

    The client authenticates with HTTP Basic or with `client_id` and `client_secret` in the form;
    an optional `scope` narrows the token to some of the key's scopes. Errors follow RFC 6749
    §5.2. After too many failures for the client id or from the address, 429 until the window ends.
    """
    try:
        # The form first (under the body limit), before anything reaches the database.
        asked = await read_token_request(request)
        uow = deps.runtime.unit_of_work()
        keys = [f"token:client:{asked.client_id}", f"token:addr:{throttle.address(request)}"]
        try:
            await throttle.check(keys)
        except TooManyRequests as exc:
            raise OAuthError(
                "temporarily_unavailable", str(exc), status=429, retry_after=exc.retry_after_seconds
            ) from exc
        ttl = deps.token_ttl
        try:
            access_token, scopes = await cases.issue_token(
                asked.client_id, asked.client_secret, asked.scope, uow=uow, issuer=deps.issuer, ttl=ttl
            )
        except Unauthorized as exc:
            await throttle.failed(keys)
            raise OAuthError("invalid_client", str(exc), status=401) from exc
        except InvalidInput as exc:
            raise OAuthError("invalid_scope", str(exc)) from exc
    except OAuthError as error:
        return error.response()
    await throttle.succeeded(keys[0])
    view = TokenView(access_token=access_token, expires_in=int(ttl.total_seconds()), scope=" ".join(scopes))
    return JSONResponse(view.model_dump(mode="json"), headers=NO_STORE)


@router.get("/.well-known/jwks.json", operation_id="getJwks")
async def jwks(deps: Deps) -> dict[str, list[dict[str, str]]]:
    """Publish the public key that verifies this platform's access tokens."""
    return {"keys": [jwk(deps.issuer.public_key)]}
