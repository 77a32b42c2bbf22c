"""Use cases of subscribers: their organisations' alerts, their inbox, preferences and webhook endpoints."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from services.watch.domain.alerts import Alert
from services.watch.domain.deliveries import Delivery, Message, RetrySchedule
from services.watch.domain.endpoints import Endpoint
from services.watch.domain.inbox import InboxItem, unread_count
from services.watch.domain.organisations import WatchedOrganisation
from services.watch.domain.preferences import Preferences
from services.watch.service_layer.alerting import webhook_body
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.auth import Principal
from shared.errors import InvalidInput, NotFound
from shared.mongo import utc_now
from shared.unit_of_work import transactional

TEST_EVENT_TYPE = "watch.test"


async def owned(uow: WatchUnitOfWork, principal: Principal, organisation_id: str) -> WatchedOrganisation:
    """Return the caller's organisation, or refuse as if it did not exist (tenant isolation)."""
    organisation = await uow.organisations.get(organisation_id)
    if organisation is None or organisation.erased or organisation.account_id != principal.account_id:
        raise NotFound(f"No organisation {organisation_id!r} known to the watch service.")
    return organisation


async def alerts(
    principal: Principal, organisation_id: str, *, status: str | None, uow: WatchUnitOfWork
) -> list[Alert]:
    """Return an organisation's alerts, newest first."""
    principal.require("organisations:read")
    async with uow:
        await owned(uow, principal, organisation_id)
        return await uow.alerts.of_organisation(organisation_id, status=status)


@transactional
async def change_alert(
    principal: Principal,
    organisation_id: str,
    alert_id: str,
    change: Callable[[Alert, datetime], None],
    *,
    uow: WatchUnitOfWork,
) -> Alert:
    """Acknowledge, dismiss or reopen one of the organisation's alerts."""
    principal.require("organisations:write")
    async with uow:
        await owned(uow, principal, organisation_id)
        alert = await uow.alerts.get(alert_id)
        if alert is None or alert.organisation_id != organisation_id:
            raise NotFound(f"No alert {alert_id!r} for this organisation.")
        change(alert, utc_now())
        await uow.alerts.save(alert)
        uow.collect(alert)
        await uow.commit()
    return alert


async def inbox(principal: Principal, *, archived: bool, uow: WatchUnitOfWork) -> tuple[list[InboxItem], int]:
    """Return the caller's visible inbox items (or its archive) and its unread count."""
    principal.require("organisations:read")
    at = utc_now()
    async with uow:
        items = await uow.inbox.of_account(principal.account_id, archived=archived)
    visible = [i for i in items if archived or i.visible(at)]
    return visible, unread_count(items, at)


@transactional
async def change_item(
    principal: Principal,
    item_id: str,
    change: Callable[[InboxItem, datetime], object],
    *,
    uow: WatchUnitOfWork,
) -> InboxItem:
    """Mark an inbox item read, archive it, snooze it…"""
    principal.require("organisations:read")
    async with uow:
        item = await uow.inbox.get(item_id)
        if item is None or item.account_id != principal.account_id:
            raise NotFound(f"No inbox item {item_id!r}.")
        change(item, utc_now())
        await uow.inbox.save(item)
        await uow.commit()
    return item


async def preferences(principal: Principal, *, uow: WatchUnitOfWork) -> Preferences:
    """Return the caller's preferences (the defaults when never set)."""
    principal.require("organisations:read")
    async with uow:
        found = await uow.preferences.get(principal.account_id)
    return found or Preferences(principal.account_id)


@transactional
async def set_preferences(
    principal: Principal, table: dict[str, dict[str, str]], email: str | None, *, uow: WatchUnitOfWork
) -> Preferences:
    """Replace the caller's cadences and e-mail address."""
    principal.require("organisations:write")
    chosen = Preferences.from_table(principal.account_id, table, email=email)
    async with uow:
        await uow.preferences.save(principal.account_id, chosen)
        await uow.commit()
    return chosen


def may_manage_endpoints(principal: Principal, *, write: bool) -> None:
    """Refuse a caller without the scope: an account's organisations scope, a partner's webhooks scope."""
    if principal.is_partner:
        principal.require("partner:webhooks")
    else:
        principal.require("organisations:write" if write else "organisations:read")


@transactional
async def create_endpoint(
    principal: Principal,
    *,
    url: str,
    organisation_id: str | None,
    description: str,
    event_types: list[str],
    uow: WatchUnitOfWork,
) -> Endpoint:
    """Register a webhook endpoint; its secret is shown once, in the answer."""
    may_manage_endpoints(principal, write=True)
    if principal.is_partner and organisation_id is not None:
        raise InvalidInput(
            "A partner's endpoint receives the partner's feed, not one organisation's alerts.",
            errors=[{"path": "organisation_id", "message": "not for a partner"}],
        )
    async with uow:
        if organisation_id is not None:
            await owned(uow, principal, organisation_id)
        endpoint = Endpoint.create(
            endpoint_id=f"ep_{secrets.token_hex(12)}",
            account_id=principal.account_id,
            url=url,
            at=utc_now(),
            organisation_id=organisation_id,
            description=description,
            event_types=event_types,
        )
        await uow.endpoints.save(endpoint)
        await uow.commit()
    return endpoint


async def endpoints(principal: Principal, *, uow: WatchUnitOfWork) -> list[Endpoint]:
    """Return the caller's endpoints."""
    may_manage_endpoints(principal, write=False)
    async with uow:
        return await uow.endpoints.of_account(principal.account_id)


async def endpoint(principal: Principal, endpoint_id: str, *, uow: WatchUnitOfWork) -> Endpoint:
    """Return one of the caller's endpoints."""
    may_manage_endpoints(principal, write=False)
    async with uow:
        return await _endpoint(uow, principal, endpoint_id)


async def _endpoint(uow: WatchUnitOfWork, principal: Principal, endpoint_id: str) -> Endpoint:
    found = await uow.endpoints.get(endpoint_id)
    if found is None or found.account_id != principal.account_id:
        raise NotFound(f"No webhook endpoint {endpoint_id!r}.")
    return found


@transactional
async def change_endpoint(
    principal: Principal,
    endpoint_id: str,
    change: Callable[[Endpoint, datetime], object],
    *,
    uow: WatchUnitOfWork,
) -> Endpoint:
    """Rotate an endpoint's secret, enable or disable it."""
    may_manage_endpoints(principal, write=True)
    async with uow:
        found = await _endpoint(uow, principal, endpoint_id)
        change(found, utc_now())
        await uow.endpoints.save(found)
        uow.collect(found)
        await uow.commit()
    return found


@transactional
async def delete_endpoint(principal: Principal, endpoint_id: str, *, uow: WatchUnitOfWork) -> None:
    """Delete an endpoint (its pending deliveries are cancelled when they come due)."""
    may_manage_endpoints(principal, write=True)
    async with uow:
        await _endpoint(uow, principal, endpoint_id)
        await uow.endpoints.delete(endpoint_id)
        await uow.commit()


@transactional
async def send_test(
    principal: Principal, endpoint_id: str, *, uow: WatchUnitOfWork, schedule: RetrySchedule
) -> Message:
    """Stage a test message to an endpoint, signed and retried like any other."""
    may_manage_endpoints(principal, write=True)
    at = utc_now()
    async with uow:
        found = await _endpoint(uow, principal, endpoint_id)
        body = webhook_body(
            TEST_EVENT_TYPE, {"endpoint_id": found.id, "message": "Test de la plateforme DIMM"}, at=at
        )
        message = Message.new(endpoint_id=found.id, event_type=TEST_EVENT_TYPE, payload=body, at=at)
        await uow.deliveries.add(Delivery.start(message, schedule), message)
        await uow.commit()
    return message


async def deliveries(
    principal: Principal, endpoint_id: str, *, since: datetime | None, uow: WatchUnitOfWork
) -> list[tuple[Delivery, Message | None]]:
    """Return an endpoint's delivery log, newest first, with each message."""
    may_manage_endpoints(principal, write=False)
    async with uow:
        await _endpoint(uow, principal, endpoint_id)
        found = await uow.deliveries.of_endpoint(endpoint_id, since=since)
        return [(d, await uow.deliveries.message(d.message_id)) for d in found]
