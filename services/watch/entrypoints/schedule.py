"""Scheduled work of the watch service, in one replica at a time (the scheduler lease)."""

from __future__ import annotations

from collections.abc import Callable

from apscheduler.triggers.interval import IntervalTrigger

from services.watch.domain.deliveries import RetrySchedule
from services.watch.service_layer.deliveries import Sender, deliver_due
from services.watch.service_layer.notices import fan_out
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from services.watch.settings import WatchSettings
from shared.lease import Lease
from shared.scheduling import LeasedScheduler


class Schedule:
    """The watch jobs, run only while this replica holds the scheduler lease."""

    def __init__(
        self,
        settings: WatchSettings,
        unit_of_work: Callable[[], WatchUnitOfWork],
        lease: Lease,
        *,
        sender: Sender,
        retries: RetrySchedule,
    ) -> None:
        self._settings = settings
        self._unit_of_work = unit_of_work
        self._sender = sender
        self._retries = retries
        self._scheduler = LeasedScheduler(lease)

    def start(self) -> None:
        """Compete for the lease and start the jobs."""
        self._scheduler.add(
            "watch-work", self.work, IntervalTrigger(seconds=self._settings.work_interval_seconds)
        )
        self._scheduler.start()

    def wake(self) -> None:
        """Look for work now (a notice was published, an endpoint re-enabled, a replay asked)."""
        self._scheduler.run_soon("watch-work")

    async def stop(self) -> None:
        """Stop the jobs and give the lease up."""
        await self._scheduler.stop()

    async def work(self) -> None:
        """Alert the organisations of newly published notices, then attempt the due webhook deliveries."""
        async with (uow := self._unit_of_work()):
            pending = await uow.notices.pending_fan_out()
        for notice_id in pending:
            await fan_out(
                notice_id,
                uow=self._unit_of_work(),
                schedule=self._retries,
                batch=self._settings.fanout_batch,
            )
        while await deliver_due(
            unit_of_work=self._unit_of_work,
            sender=self._sender,
            schedule=self._retries,
            disable_after=self._settings.webhook_disable_after_days,
        ):
            pass
