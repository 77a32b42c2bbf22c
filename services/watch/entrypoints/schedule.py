"""Scheduled work of the watch service, in one replica at a time (the scheduler lease); jobs stage work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from services.watch.domain.deliveries import RetrySchedule
from services.watch.service_layer import mailings, reminders
from services.watch.service_layer.deliveries import DeliveryObserver, Sender, deliver_due
from services.watch.service_layer.mailings import MailLinks, MailSender
from services.watch.service_layer.notices import fan_out
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from services.watch.settings import WatchSettings
from shared.lease import Lease
from shared.mongo import utc_now
from shared.scheduling import LeasedScheduler, SchedulerMetrics

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Outbound:
    """What the jobs deliver with: the webhook client and its retry schedule, the SMTP sender, links."""

    webhooks: Sender
    retries: RetrySchedule
    mail: MailSender
    links: MailLinks
    observer: DeliveryObserver | None = None


class Schedule:
    """The watch jobs, run only while this replica holds the scheduler lease."""

    def __init__(
        self,
        settings: WatchSettings,
        unit_of_work: Callable[[], WatchUnitOfWork],
        lease: Lease,
        *,
        outbound: Outbound,
        metrics: SchedulerMetrics | None = None,
    ) -> None:
        self._settings = settings
        self._unit_of_work = unit_of_work
        self._outbound = outbound
        self._scheduler = LeasedScheduler(lease, metrics=metrics)

    def start(self) -> None:
        """Compete for the lease and start the jobs."""
        every = IntervalTrigger(seconds=self._settings.work_interval_seconds)
        self._scheduler.add("watch-work", self.work, every)
        # Deliveries run beside the fan-out: the first webhooks leave while later batches are alerted.
        self._scheduler.add(
            "watch-deliver", self.deliver, IntervalTrigger(seconds=self._settings.work_interval_seconds)
        )
        daily = CronTrigger(hour=self._settings.digest_hour, minute=0, timezone=PARIS)
        self._scheduler.add("watch-daily", self.daily, daily)
        self._scheduler.start()

    def wake(self) -> None:
        """Look for work now (a notice was published, an endpoint re-enabled, a replay asked)."""
        self._scheduler.run_soon("watch-work")
        self._scheduler.run_soon("watch-deliver")

    async def stop(self) -> None:
        """Stop the jobs and give the lease up."""
        await self._scheduler.stop()

    async def work(self) -> None:
        """Alert the organisations of new notices, then send the due e-mails."""
        outbound = self._outbound
        async with (uow := self._unit_of_work()):
            pending = await uow.notices.pending_fan_out()
        for notice_id in pending:
            await fan_out(
                notice_id,
                uow=self._unit_of_work(),
                schedule=outbound.retries,
                batch=self._settings.fanout_batch,
                links=outbound.links,
            )
        await mailings.send_due(
            unit_of_work=self._unit_of_work,
            sender=outbound.mail,
            compress=self._settings.email_retry_compress,
        )

    async def deliver(self) -> None:
        """Attempt the due webhook deliveries, one batch per run (one that stays due waits for the next)."""
        outbound = self._outbound
        await deliver_due(
            unit_of_work=self._unit_of_work,
            sender=outbound.webhooks,
            schedule=outbound.retries,
            disable_after=self._settings.webhook_disable_after_days,
            links=outbound.links,
            observer=outbound.observer,
        )

    async def daily(self) -> None:
        """Stage the daily digests (and the weekly ones on Mondays), reminders and today's milestones."""
        at, links = utc_now(), self._outbound.links
        await mailings.send_digests("daily", uow=self._unit_of_work(), links=links, at=at)
        if at.astimezone(PARIS).weekday() == 0:
            await mailings.send_digests("weekly", uow=self._unit_of_work(), links=links, at=at)
        await reminders.remind(
            uow=self._unit_of_work(),
            links=links,
            at=at,
            after=timedelta(days=self._settings.reminder_after_days),
            every=timedelta(days=self._settings.reminder_every_days),
        )
        await reminders.milestones(uow=self._unit_of_work(), today=at.astimezone(PARIS).date(), at=at)
        self.wake()
