"""HTTP routes of partners: their pull feed of consented events, and their signed webhook endpoints.

Only a partner's token is accepted here (and a partner's token nowhere else); a suspended
partner is refused. A partner sees its own feed and endpoints only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from services.watch.domain.partners import FeedEvent
from services.watch.entrypoints.dependencies import Deps, UoW
from services.watch.entrypoints.schemas import (
    DeliveryView,
    EndpointBody,
    EndpointView,
    ReplayBody,
    ReplayView,
)
from services.watch.service_layer import deliveries, subscriptions
from services.watch.service_layer import partners as cases
from shared.auth import Principal
from shared.errors import InvalidInput
from shared.events.contracts.partner import PARTNER_SCORED_EXAMPLE, PartnerDiagnosticScored
from shared.http import PartnerCaller, problem_responses

router = APIRouter(prefix="/partners/v1", tags=["partners"])
_PROBLEM = problem_responses(401, 403, 404, 409, 422, 503)


async def active_partner(caller: PartnerCaller, uow: UoW) -> Principal:
    """Let through an active partner's token only."""
    async with uow:
        await cases.active_partner(caller, uow=uow)
    return caller


Partner = Annotated[Principal, Depends(active_partner)]


def _wake(request: Request) -> None:
    wake = getattr(request.app.state, "wake_schedule", None)
    if wake is not None:
        wake()


class FeedEventView(BaseModel):
    """One event of the partner's feed: the same id on its webhooks and its Kafka topic."""

    id: str = Field(description="The event's id: deduplicate on it (at-least-once delivery).")
    cursor: str = Field(description="Ask `after` this cursor for the events that follow.")
    type: str = Field(description="The versioned type of the partner contract.")
    kind: str = Field(description="What grants name: diagnostic.scored, study.published, …")
    time: datetime
    organisation_id: str | None = Field(description="None for a sector study.")
    data: dict[str, Any] = Field(
        description="The payload, as the partner contract documents it for the type."
    )

    @classmethod
    def of(cls, event: FeedEvent) -> FeedEventView:
        """Present a feed event."""
        return cls(
            id=event.event_id,
            cursor=str(event.sequence),
            type=event.type,
            kind=event.kind,
            time=event.time,
            organisation_id=event.organisation_id,
            data=event.data,
        )


_FEED_EXAMPLE: dict[str, Any] = {
    "events": [
        {
            "id": "5c1f0b7e-2d9a-5c3b-8e6f-1a2d3c4b5a69",
            "cursor": "1",
            "type": PartnerDiagnosticScored.event_type,
            "kind": "diagnostic.scored",
            "time": "2026-11-26T09:30:02Z",
            "organisation_id": PARTNER_SCORED_EXAMPLE["organisation_id"],
            "data": PARTNER_SCORED_EXAMPLE,
        }
    ],
    "next_cursor": "1",
    "has_more": False,
}


class FeedPage(BaseModel):
    """A page of the feed, oldest first."""

    model_config = ConfigDict(json_schema_extra={"examples": [cast(JsonValue, _FEED_EXAMPLE)]})

    events: list[FeedEventView]
    next_cursor: str | None = Field(description="Pass it as `after` next time; keep it: it never expires.")
    has_more: bool = Field(description="True when the page is full: ask again at once.")


@router.get("/events", response_model=FeedPage, responses=_PROBLEM, operation_id="readPartnerFeed")
async def feed(
    caller: Partner,
    uow: UoW,
    after: Annotated[
        str | None, Query(max_length=32, description="The cursor of the last event read.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=cases.MAX_PAGE)] = 100,
) -> FeedPage:
    """The partner's events after a cursor, in order: at-least-once, each with a stable id.

    Read until `has_more` is false, keeping `next_cursor`; an event is never renumbered. Events of
    an organisation that is erased leave the feed.
    """
    events, cursor = await cases.feed_page(caller, after=after, limit=limit, uow=uow)
    return FeedPage(
        events=[FeedEventView.of(e) for e in events], next_cursor=cursor, has_more=len(events) == limit
    )


_ENDPOINTS = "/webhooks/endpoints"


@router.post(
    _ENDPOINTS,
    status_code=201,
    response_model=EndpointView,
    responses=_PROBLEM,
    operation_id="createPartnerWebhookEndpoint",
)
async def create_endpoint(body: EndpointBody, caller: Partner, uow: UoW) -> EndpointView:
    """Register a webhook endpoint for the partner's feed; the answer shows its signing secret, once."""
    found = await subscriptions.create_endpoint(
        caller,
        url=body.url,
        organisation_id=body.organisation_id,
        description=body.description,
        event_types=body.event_types,
        uow=uow,
    )
    return EndpointView.of(found, with_secret=True)


@router.get(
    _ENDPOINTS,
    response_model=list[EndpointView],
    responses=_PROBLEM,
    operation_id="listPartnerWebhookEndpoints",
)
async def list_endpoints(caller: Partner, uow: UoW) -> list[EndpointView]:
    """The partner's endpoints (no secrets)."""
    return [EndpointView.of(e) for e in await subscriptions.endpoints(caller, uow=uow)]


@router.get(
    _ENDPOINTS + "/{endpoint_id}",
    response_model=EndpointView,
    responses=_PROBLEM,
    operation_id="getPartnerWebhookEndpoint",
)
async def get_endpoint(endpoint_id: str, caller: Partner, uow: UoW) -> EndpointView:
    """One of the partner's endpoints (no secret)."""
    return EndpointView.of(await subscriptions.endpoint(caller, endpoint_id, uow=uow))


@router.delete(
    _ENDPOINTS + "/{endpoint_id}",
    status_code=204,
    responses=_PROBLEM,
    operation_id="deletePartnerWebhookEndpoint",
)
async def delete_endpoint(endpoint_id: str, caller: Partner, uow: UoW) -> Response:
    """Delete an endpoint."""
    await subscriptions.delete_endpoint(caller, endpoint_id, uow=uow)
    return Response(status_code=204)


@router.post(
    _ENDPOINTS + "/{endpoint_id}/rotate",
    response_model=EndpointView,
    responses=_PROBLEM,
    operation_id="rotatePartnerWebhookSecret",
)
async def rotate(endpoint_id: str, caller: Partner, uow: UoW) -> EndpointView:
    """Give the endpoint a new secret; the previous one keeps signing for 24 hours."""
    found = await subscriptions.change_endpoint(caller, endpoint_id, lambda e, at: e.rotate(at), uow=uow)
    return EndpointView.of(found, with_secret=True)


@router.post(
    _ENDPOINTS + "/{endpoint_id}/enable",
    response_model=EndpointView,
    responses=_PROBLEM,
    operation_id="enablePartnerWebhookEndpoint",
)
async def enable(endpoint_id: str, caller: Partner, uow: UoW, request: Request) -> EndpointView:
    """Deliver to a disabled endpoint again."""
    found = await subscriptions.change_endpoint(caller, endpoint_id, lambda e, at: e.enable(at), uow=uow)
    _wake(request)
    return EndpointView.of(found)


@router.post(
    _ENDPOINTS + "/{endpoint_id}/disable",
    response_model=EndpointView,
    responses=_PROBLEM,
    operation_id="disablePartnerWebhookEndpoint",
)
async def disable(endpoint_id: str, caller: Partner, uow: UoW) -> EndpointView:
    """Stop delivering to an endpoint."""
    found = await subscriptions.change_endpoint(caller, endpoint_id, lambda e, at: e.disable(at), uow=uow)
    return EndpointView.of(found)


@router.post(
    _ENDPOINTS + "/{endpoint_id}/test",
    status_code=202,
    responses=_PROBLEM,
    operation_id="sendPartnerTestWebhook",
)
async def send_test(
    endpoint_id: str, caller: Partner, uow: UoW, deps: Deps, request: Request
) -> dict[str, str]:
    """Send a signed test message to the endpoint."""
    message = await subscriptions.send_test(caller, endpoint_id, uow=uow, schedule=deps.schedule)
    _wake(request)
    return {"message_id": message.id}


@router.get(
    _ENDPOINTS + "/{endpoint_id}/deliveries",
    response_model=list[DeliveryView],
    responses=_PROBLEM,
    operation_id="listPartnerWebhookDeliveries",
)
async def delivery_log(
    endpoint_id: str, caller: Partner, uow: UoW, since: Annotated[datetime | None, Query()] = None
) -> list[DeliveryView]:
    """The endpoint's delivery log: every message and each attempt's status, latency and response."""
    found = await subscriptions.deliveries(caller, endpoint_id, since=since, uow=uow)
    return [DeliveryView.of(d, m) for d, m in found]


@router.post(
    _ENDPOINTS + "/{endpoint_id}/replay",
    response_model=ReplayView,
    responses=_PROBLEM,
    operation_id="replayPartnerWebhooks",
)
async def replay(
    endpoint_id: str, body: ReplayBody, caller: Partner, uow: UoW, request: Request
) -> ReplayView:
    """Send one message, or every message since a date, again."""
    if (body.message_id is None) == (body.since is None):
        raise InvalidInput("Give either message_id or since.")
    await subscriptions.endpoint(caller, endpoint_id, uow=uow)
    caller.require("partner:webhooks")
    replayed = await deliveries.replay(endpoint_id, uow=uow, message_id=body.message_id, since=body.since)
    _wake(request)
    return ReplayView(replayed=replayed)
