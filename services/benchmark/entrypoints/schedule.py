"""Scheduled work of the benchmark: daily snapshots and closing due studies, in one replica at a time."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from services.benchmark.service_layer import studies
from services.benchmark.service_layer.snapshots import DEFAULT_MODEL, take_snapshot
from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from services.benchmark.settings import BenchmarkSettings
from shared.lease import Lease

logger = logging.getLogger(__name__)


class Schedule:
    """APScheduler jobs that run only while this replica holds the scheduler lease."""

    def __init__(
        self, settings: BenchmarkSettings, unit_of_work: Callable[[], BenchmarkUnitOfWork], lease: Lease
    ) -> None:
        self._settings = settings
        self._unit_of_work = unit_of_work
        self._lease = lease
        self._scheduler = AsyncIOScheduler(timezone="UTC")

    def start(self) -> None:
        """Compete for the lease and start the jobs (explicit ids: never twice the same job)."""
        self._lease.start()
        self._scheduler.add_job(
            self._guarded("snapshot", self.snapshot),
            CronTrigger.from_crontab(self._settings.snapshot_cron, timezone="UTC"),
            id="benchmark-snapshot",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        self._scheduler.add_job(
            self._guarded("close-due-studies", self.close_due_studies),
            IntervalTrigger(seconds=self._settings.study_check_seconds),
            id="benchmark-close-due-studies",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        self._scheduler.start()

    async def stop(self) -> None:
        """Stop the jobs and give the lease up."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        await self._lease.stop()

    def _guarded(self, name: str, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if not self._lease.held:
                return  # another replica holds the schedule
            try:
                await job()
            except Exception:
                logger.exception("scheduled job %s failed; it runs again at its next time", name)

        return run

    async def snapshot(self) -> None:
        """Take the scheduled snapshot."""
        await take_snapshot(
            DEFAULT_MODEL, uow=self._unit_of_work(), min_cohort_size=self._settings.min_cohort_size
        )

    async def close_due_studies(self) -> None:
        """Close the studies whose closing date has passed."""
        closed = await studies.close_due(uow=self._unit_of_work())
        if closed:
            logger.info("closed due studies %s", closed)
