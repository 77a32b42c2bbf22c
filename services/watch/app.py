"""FastAPI application of the watch service, served under /watch."""

from __future__ import annotations

from fastapi import FastAPI

from services.watch.adapters.smtp import SmtpSender
from services.watch.adapters.webhook_client import WebhookClient
from services.watch.bootstrap import SCHEDULER_LEASE, bootstrap
from services.watch.entrypoints import http, partners
from services.watch.entrypoints.page import router as page_router
from services.watch.entrypoints.schedule import Outbound, Schedule
from services.watch.metrics import CountingMailer, CountingSender
from services.watch.service_layer.notices import load_shipped_catalogue
from services.watch.settings import WatchSettings
from shared.http import create_service_app


def create_app(settings: WatchSettings) -> FastAPI:
    """Create the watch app; its lifespan owns the database client, the broker and the schedule."""
    deps = bootstrap(settings)
    runtime = deps.runtime
    schedules: list[Schedule] = []
    clients: list[WebhookClient] = []

    async def start_schedule() -> None:
        # The partners known from before (a broker that lost their topics gets them back).
        async with runtime.unit_of_work() as uow:
            known = await uow.partner_feeds.every_partner()
        await deps.partner_topics.ensure_many([p.partner_id for p in known])
        if settings.load_catalogue:
            await load_shipped_catalogue(uow=runtime.unit_of_work())
        client = WebhookClient(allow=settings.webhook_allow_hosts, timeout=settings.webhook_timeout_seconds)
        clients.append(client)
        mail = SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
            sender=settings.smtp_sender,
        )
        outbound = Outbound(
            webhooks=CountingSender(client, deps.metrics),
            retries=deps.schedule,
            mail=CountingMailer(mail, deps.metrics),
            links=deps.links,
            observer=deps.metrics,
        )
        schedule = Schedule(
            settings,
            runtime.unit_of_work,
            runtime.lease(SCHEDULER_LEASE),
            outbound=outbound,
            metrics=deps.scheduler_metrics,
        )
        schedule.start()
        schedules.append(schedule)
        app.state.wake_schedule = schedule.wake

    async def stop_schedule() -> None:
        for schedule in schedules:
            await schedule.stop()
        for client in clients:
            await client.aclose()
        schedules.clear()
        clients.clear()

    app = create_service_app(
        runtime=runtime,
        registry=deps.registry,
        access=deps.access,
        operator_token=settings.admin_token,
        title="DIMM watch service",
        description="Change notices, their impact on diagnostics, subscriptions and alerts.",
        routers=[http.operator, http.router, page_router, partners.router],
        on_start=start_schedule,
        on_stop=stop_schedule,
    )
    app.state.deps = deps
    return app
