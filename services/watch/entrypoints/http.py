"""HTTP routes of the watch service: notices, organisations' alerts, inbox, preferences, webhooks."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from services.watch.domain.catalogue import notice_of
from services.watch.domain.digests import digest_period
from services.watch.entrypoints.dependencies import Caller, Deps, UoW, require_operator
from services.watch.entrypoints.schemas import (
    AlertView,
    DeliveryView,
    DigestsBody,
    DigestsView,
    DismissBody,
    EndpointBody,
    EndpointView,
    InboxItemView,
    InboxView,
    NoticeBody,
    NoticeRevision,
    NoticeView,
    PreferencesBody,
    PreferencesView,
    ReplayBody,
    ReplayView,
    SnoozeBody,
    WithdrawBody,
)
from services.watch.service_layer import deliveries, mailings, notices, subscriptions
from shared.errors import InvalidInput
from shared.http import problem_responses
from shared.mongo import utc_now

router = APIRouter(prefix="/v1", tags=["watch"])
operator = APIRouter(prefix="/v1/ops", tags=["watch operator"], dependencies=[Depends(require_operator)])
_PROBLEM = problem_responses(401, 403, 404, 409, 422, 503)
AlertStatus = Literal["open", "acknowledged", "dismissed", "resolved", "closed"]


def _wake(request: Request) -> None:
    wake = getattr(request.app.state, "wake_schedule", None)
    if wake is not None:
        wake()


@operator.get("/notices", response_model=list[NoticeView], responses=_PROBLEM, operation_id="listNotices")
async def list_notices(
    uow: UoW,
    status: Literal["draft", "published", "withdrawn"] | None = None,
    kind: Literal["model", "regulatory", "technology", "usage"] | None = None,
) -> list[NoticeView]:
    """Every notice, the shipped catalogue's drafts included."""
    return [NoticeView.of(n) for n in await notices.list_notices(status=status, kind=kind, uow=uow)]


@operator.post(
    "/notices", status_code=201, response_model=NoticeView, responses=_PROBLEM, operation_id="createNotice"
)
async def create_notice(body: NoticeBody, uow: UoW) -> NoticeView:
    """Write a draft notice."""
    entry = body.model_dump(mode="json")
    entry["id"] = body.id or f"ntc_{secrets.token_hex(8)}"
    return NoticeView.of(await notices.create_notice(notice_of(entry), uow=uow))


@operator.get("/notices/{notice_id}", response_model=NoticeView, responses=_PROBLEM, operation_id="getNotice")
async def get_notice(notice_id: str, uow: UoW) -> NoticeView:
    """One notice."""
    return NoticeView.of(await notices.get_notice(notice_id, uow=uow))


@operator.patch(
    "/notices/{notice_id}", response_model=NoticeView, responses=_PROBLEM, operation_id="reviseNotice"
)
async def revise_notice(notice_id: str, body: NoticeRevision, uow: UoW) -> NoticeView:
    """Change a draft notice."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("Give at least one field to change.")
    return NoticeView.of(await notices.revise_notice(notice_id, changes, uow=uow))


@operator.post(
    "/notices/{notice_id}/publish",
    response_model=NoticeView,
    responses=_PROBLEM,
    operation_id="publishNotice",
)
async def publish_notice(notice_id: str, uow: UoW, request: Request) -> NoticeView:
    """Publish a draft: its event leaves, and the organisations it targets are alerted."""
    notice = await notices.publish_notice(notice_id, uow=uow)
    _wake(request)
    return NoticeView.of(notice)


@operator.post(
    "/notices/{notice_id}/withdraw",
    response_model=NoticeView,
    responses=_PROBLEM,
    operation_id="withdrawNotice",
)
async def withdraw_notice(notice_id: str, body: WithdrawBody, uow: UoW) -> NoticeView:
    """Withdraw a published notice; its alerts are closed."""
    return NoticeView.of(await notices.withdraw_notice(notice_id, body.reason, uow=uow))


@operator.post("/digests", response_model=DigestsView, responses=_PROBLEM, operation_id="stageDigests")
async def stage_digests(body: DigestsBody, uow: UoW, deps: Deps, request: Request) -> DigestsView:
    """Stage the digests of the period holding a day (after an outage); one per subscriber and period."""
    at = mailings.sent_after(body.cadence, body.day)
    if digest_period(body.cadence, at).end > utc_now():
        raise InvalidInput("That period is not over yet: its digests go out when it ends.")
    staged = await mailings.send_digests(body.cadence, uow=uow, links=deps.links, at=at)
    _wake(request)
    return DigestsView(staged=staged)


@router.get(
    "/notices", response_model=list[NoticeView], responses=_PROBLEM, operation_id="listPublishedNotices"
)
async def published_notices(caller: Caller, uow: UoW) -> list[NoticeView]:
    """The published notices."""
    caller.require("organisations:read")
    return [NoticeView.of(n) for n in await notices.list_notices(status="published", kind=None, uow=uow)]


@router.get(
    "/organisations/{organisation_id}/alerts",
    response_model=list[AlertView],
    responses=_PROBLEM,
    operation_id="listAlerts",
)
async def alerts(
    organisation_id: str, caller: Caller, uow: UoW, status: AlertStatus | None = None
) -> list[AlertView]:
    """The organisation's alerts, newest first."""
    found = await subscriptions.alerts(caller, organisation_id, status=status, uow=uow)
    return [AlertView.of(a) for a in found]


@router.post(
    "/organisations/{organisation_id}/alerts/{alert_id}/acknowledge",
    response_model=AlertView,
    responses=_PROBLEM,
    operation_id="acknowledgeAlert",
)
async def acknowledge(organisation_id: str, alert_id: str, caller: Caller, uow: UoW) -> AlertView:
    """Say the alert is seen and being handled."""
    alert = await subscriptions.change_alert(
        caller, organisation_id, alert_id, lambda a, at: a.acknowledge(at), uow=uow
    )
    return AlertView.of(alert)


@router.post(
    "/organisations/{organisation_id}/alerts/{alert_id}/dismiss",
    response_model=AlertView,
    responses=_PROBLEM,
    operation_id="dismissAlert",
)
async def dismiss(
    organisation_id: str, alert_id: str, body: DismissBody, caller: Caller, uow: UoW
) -> AlertView:
    """Dismiss the alert, saying why."""
    alert = await subscriptions.change_alert(
        caller,
        organisation_id,
        alert_id,
        lambda a, at: a.dismiss(body.reason, at, comment=body.comment),
        uow=uow,
    )
    return AlertView.of(alert)


@router.post(
    "/organisations/{organisation_id}/alerts/{alert_id}/reopen",
    response_model=AlertView,
    responses=_PROBLEM,
    operation_id="reopenAlert",
)
async def reopen(organisation_id: str, alert_id: str, caller: Caller, uow: UoW) -> AlertView:
    """Reopen a dismissed alert."""
    alert = await subscriptions.change_alert(
        caller, organisation_id, alert_id, lambda a, at: a.reopen(at), uow=uow
    )
    return AlertView.of(alert)


@router.get("/inbox", response_model=InboxView, responses=_PROBLEM, operation_id="getInbox")
async def inbox(caller: Caller, uow: UoW, archived: bool = False) -> InboxView:
    """The caller's inbox (snoozed items hidden until their time), or its archive."""
    items, unread = await subscriptions.inbox(caller, archived=archived, uow=uow)
    return InboxView(unread=unread, items=[InboxItemView.of(i) for i in items])


@router.get("/inbox/unread-count", responses=_PROBLEM, operation_id="getUnreadCount")
async def unread_count(caller: Caller, uow: UoW) -> dict[str, int]:
    """How many visible items the caller has not read."""
    _, unread = await subscriptions.inbox(caller, archived=False, uow=uow)
    return {"unread": unread}


@router.post(
    "/inbox/{item_id}/read",
    response_model=InboxItemView,
    responses=_PROBLEM,
    operation_id="markInboxItemRead",
)
async def mark_read(item_id: str, caller: Caller, uow: UoW) -> InboxItemView:
    """Mark an item read."""
    return InboxItemView.of(
        await subscriptions.change_item(caller, item_id, lambda i, at: i.mark_read(at), uow=uow)
    )


@router.post(
    "/inbox/{item_id}/archive",
    response_model=InboxItemView,
    responses=_PROBLEM,
    operation_id="archiveInboxItem",
)
async def archive(item_id: str, caller: Caller, uow: UoW) -> InboxItemView:
    """Archive an item."""
    return InboxItemView.of(
        await subscriptions.change_item(caller, item_id, lambda i, at: i.archive(at), uow=uow)
    )


@router.post(
    "/inbox/{item_id}/snooze",
    response_model=InboxItemView,
    responses=_PROBLEM,
    operation_id="snoozeInboxItem",
)
async def snooze(item_id: str, body: SnoozeBody, caller: Caller, uow: UoW) -> InboxItemView:
    """Hide an item until a later moment."""
    if body.until.tzinfo is None:
        raise InvalidInput("Give the moment with its time zone (e.g. 2026-12-01T09:00:00+01:00).")
    item = await subscriptions.change_item(
        caller, item_id, lambda i, at: i.snooze(body.until, at=at), uow=uow
    )
    return InboxItemView.of(item)


@router.get("/preferences", response_model=PreferencesView, responses=_PROBLEM, operation_id="getPreferences")
async def get_preferences(caller: Caller, uow: UoW) -> PreferencesView:
    """The caller's cadences per channel and kind, and its e-mail address."""
    found = await subscriptions.preferences(caller, uow=uow)
    return PreferencesView(email=found.email, channels=found.table())


@router.put("/preferences", response_model=PreferencesView, responses=_PROBLEM, operation_id="setPreferences")
async def set_preferences(body: PreferencesBody, caller: Caller, uow: UoW) -> PreferencesView:
    """Replace the caller's cadences and e-mail address."""
    found = await subscriptions.set_preferences(caller, body.channels, body.email, uow=uow)
    return PreferencesView(email=found.email, channels=found.table())


@router.post(
    "/webhooks/endpoints",
    status_code=201,
    response_model=EndpointView,
    responses=_PROBLEM,
    operation_id="createWebhookEndpoint",
)
async def create_endpoint(body: EndpointBody, caller: Caller, uow: UoW) -> EndpointView:
    """Register a webhook endpoint; the answer shows its signing secret, once."""
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
    "/webhooks/endpoints",
    response_model=list[EndpointView],
    responses=_PROBLEM,
    operation_id="listWebhookEndpoints",
)
async def list_endpoints(caller: Caller, uow: UoW) -> list[EndpointView]:
    """The caller's endpoints (no secrets)."""
    return [EndpointView.of(e) for e in await subscriptions.endpoints(caller, uow=uow)]


@router.get(
    "/webhooks/endpoints/{endpoint_id}",
    response_model=EndpointView,
    responses=_PROBLEM,
    operation_id="getWebhookEndpoint",
)
async def get_endpoint(endpoint_id: str, caller: Caller, uow: UoW) -> EndpointView:
    """One endpoint (no secret)."""
    return EndpointView.of(await subscriptions.endpoint(caller, endpoint_id, uow=uow))


@router.delete(
    "/webhooks/endpoints/{endpoint_id}",
    status_code=204,
    responses=_PROBLEM,
    operation_id="deleteWebhookEndpoint",
)
async def delete_endpoint(endpoint_id: str, caller: Caller, uow: UoW) -> Response:
    """Delete an endpoint."""
    await subscriptions.delete_endpoint(caller, endpoint_id, uow=uow)
    return Response(status_code=204)


@router.post(
    "/webhooks/endpoints/{endpoint_id}/rotate",
    response_model=EndpointView,
    responses=_PROBLEM,
    operation_id="rotateWebhookSecret",
)
async def rotate(endpoint_id: str, caller: Caller, uow: UoW) -> EndpointView:
    """Give the endpoint a new secret; the previous one keeps signing for 24 hours."""
    found = await subscriptions.change_endpoint(caller, endpoint_id, lambda e, at: e.rotate(at), uow=uow)
    return EndpointView.of(found, with_secret=True)


@router.post(
    "/webhooks/endpoints/{endpoint_id}/enable",
    response_model=EndpointView,
    responses=_PROBLEM,
    operation_id="enableWebhookEndpoint",
)
async def enable(endpoint_id: str, caller: Caller, uow: UoW, request: Request) -> EndpointView:
    """Deliver to a disabled endpoint again."""
    found = await subscriptions.change_endpoint(caller, endpoint_id, lambda e, at: e.enable(at), uow=uow)
    _wake(request)
    return EndpointView.of(found)


@router.post(
    "/webhooks/endpoints/{endpoint_id}/disable",
    response_model=EndpointView,
    responses=_PROBLEM,
    operation_id="disableWebhookEndpoint",
)
async def disable(endpoint_id: str, caller: Caller, uow: UoW) -> EndpointView:
    """Stop delivering to an endpoint."""
    found = await subscriptions.change_endpoint(caller, endpoint_id, lambda e, at: e.disable(at), uow=uow)
    return EndpointView.of(found)


@router.post(
    "/webhooks/endpoints/{endpoint_id}/test",
    status_code=202,
    responses=_PROBLEM,
    operation_id="sendTestWebhook",
)
async def send_test(
    endpoint_id: str, caller: Caller, uow: UoW, deps: Deps, request: Request
) -> dict[str, str]:
    """Send a signed test message to the endpoint."""
    message = await subscriptions.send_test(caller, endpoint_id, uow=uow, schedule=deps.schedule)
    _wake(request)
    return {"message_id": message.id}


@router.get(
    "/webhooks/endpoints/{endpoint_id}/deliveries",
    response_model=list[DeliveryView],
    responses=_PROBLEM,
    operation_id="listWebhookDeliveries",
)
async def delivery_log(
    endpoint_id: str, caller: Caller, uow: UoW, since: Annotated[datetime | None, Query()] = None
) -> list[DeliveryView]:
    """The endpoint's delivery log: every message and each attempt's status, latency and response."""
    found = await subscriptions.deliveries(caller, endpoint_id, since=since, uow=uow)
    return [DeliveryView.of(d, m) for d, m in found]


@router.post(
    "/webhooks/endpoints/{endpoint_id}/replay",
    response_model=ReplayView,
    responses=_PROBLEM,
    operation_id="replayWebhooks",
)
async def replay(
    endpoint_id: str, body: ReplayBody, caller: Caller, uow: UoW, request: Request
) -> ReplayView:
    """Send one message, or every message since a date, again."""
    caller.require("organisations:write")
    if (body.message_id is None) == (body.since is None):
        raise InvalidInput("Give either message_id or since.")
    await subscriptions.endpoint(caller, endpoint_id, uow=uow)
    replayed = await deliveries.replay(endpoint_id, uow=uow, message_id=body.message_id, since=body.since)
    _wake(request)
    return ReplayView(replayed=replayed)
