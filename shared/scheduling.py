"""APScheduler jobs that run in one replica at a time: the holder of a lease in MongoDB."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from prometheus_client import CollectorRegistry, Counter, Gauge

from shared.lease import Lease

logger = logging.getLogger(__name__)
OUTCOMES = ("succeeded", "failed")


class SchedulerMetrics:
    """When each scheduled job last succeeded, and how its runs ended: what a stale-job alert reads.

    The job's name is the label `task`: `job` is the label Prometheus gives every scrape target.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.last_success = Gauge(
            "dimm_scheduler_job_last_success_timestamp_seconds",
            "When the job last ran to its end in this replica (Unix time).",
            ["task"],
            registry=registry,
        )
        self.interval = Gauge(
            "dimm_scheduler_job_interval_seconds",
            "The time between two runs of the job its trigger plans (the stale-job alert allows twice it).",
            ["task"],
            registry=registry,
        )
        self.runs = Counter(
            "dimm_scheduler_job_runs_total",
            "Runs of each job in the replica holding the lease, by outcome.",
            ["task", "outcome"],
            registry=registry,
        )


def planned_interval(trigger: BaseTrigger, *, now: datetime | None = None) -> float:
    """Return the seconds between the trigger's next two runs (a cron's period, an interval's length)."""
    first = trigger.get_next_fire_time(None, now or datetime.now(UTC))
    if first is None:
        return 0.0
    second = trigger.get_next_fire_time(first, first + timedelta(microseconds=1))
    return 0.0 if second is None else (second - first).total_seconds()


class LeasedScheduler:
    """An AsyncIOScheduler whose jobs do nothing unless this replica holds the lease."""

    def __init__(self, lease: Lease, *, metrics: SchedulerMetrics | None = None) -> None:
        self._lease = lease
        self._metrics = metrics
        self._scheduler = AsyncIOScheduler(timezone="UTC")

    def add(self, job_id: str, job: Callable[[], Awaitable[object]], trigger: BaseTrigger) -> None:
        """Add a job (an explicit id: never twice the same job; a late run is coalesced)."""
        if self._metrics is not None:
            for outcome in OUTCOMES:
                # Present at 0 from the start, so an increase() alert sees the very first failure.
                self._metrics.runs.labels(job_id, outcome)
            self._metrics.interval.labels(job_id).set(planned_interval(trigger))
        self._scheduler.add_job(
            self._guarded(job_id, job),
            trigger,
            id=job_id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )

    def start(self) -> None:
        """Compete for the lease and start the jobs."""
        self._lease.start()
        self._scheduler.start()

    def run_soon(self, job_id: str) -> None:
        """Run a job now rather than at its next time."""
        job = self._scheduler.get_job(job_id)
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))

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
                self._count(name, "failed")
            else:
                self._count(name, "succeeded")

        return run

    def _count(self, name: str, outcome: str) -> None:
        if self._metrics is None:
            return
        self._metrics.runs.labels(name, outcome).inc()
        if outcome == "succeeded":
            self._metrics.last_success.labels(name).set_to_current_time()
