"""Scheduled work of the benchmark: daily snapshots and closing due studies, in one replica at a time."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from services.benchmark.service_layer import studies
from services.benchmark.service_layer.snapshots import DEFAULT_MODEL, take_snapshot
from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from services.benchmark.settings import BenchmarkSettings
from shared.lease import Lease
from shared.scheduling import LeasedScheduler, SchedulerMetrics

logger = logging.getLogger(__name__)


class Schedule:
    """The benchmark's jobs, run only while this replica holds the scheduler lease."""

    def __init__(
        self,
        settings: BenchmarkSettings,
        unit_of_work: Callable[[], BenchmarkUnitOfWork],
        lease: Lease,
        *,
        metrics: SchedulerMetrics | None = None,
    ) -> None:
        self._settings = settings
        self._unit_of_work = unit_of_work
        self._scheduler = LeasedScheduler(lease, metrics=metrics)

    def start(self) -> None:
        """Compete for the lease and start the jobs."""
        self._scheduler.add(
            "benchmark-snapshot",
            self.snapshot,
            CronTrigger.from_crontab(self._settings.snapshot_cron, timezone="UTC"),
        )
        self._scheduler.add(
            "benchmark-close-due-studies",
            self.close_due_studies,
            IntervalTrigger(seconds=self._settings.study_check_seconds),
        )
        self._scheduler.start()

    async def stop(self) -> None:
        """Stop the jobs and give the lease up."""
        await self._scheduler.stop()

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
