"""The leased scheduler's metrics: each job's runs by outcome, and when it last succeeded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry

from shared.scheduling import LeasedScheduler, SchedulerMetrics, planned_interval

pytestmark = pytest.mark.asyncio


class HeldLease:
    """A lease this replica holds, or not."""

    def __init__(self, held: bool) -> None:
        self.held = held


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def _scheduler(held: bool) -> tuple[LeasedScheduler, CollectorRegistry]:
    registry = CollectorRegistry()
    lease: Any = HeldLease(held)  # only `held` is read by the guarded run
    return LeasedScheduler(lease, metrics=SchedulerMetrics(registry)), registry


async def _ok() -> None:
    return None


async def _broken() -> None:
    raise RuntimeError("the database is away")


class TestSchedulerMetrics:
    async def test_every_job_starts_at_zero_so_the_first_failure_is_an_increase(self) -> None:
        scheduler, registry = _scheduler(held=True)
        scheduler.add("job-a", _ok, trigger=_never())
        assert _value(registry, "dimm_scheduler_job_runs_total", task="job-a", outcome="failed") == 0

    async def test_a_success_counts_and_stamps_the_time_a_failure_only_counts(self) -> None:
        scheduler, registry = _scheduler(held=True)
        await scheduler._guarded("job-a", _ok)()
        await scheduler._guarded("job-b", _broken)()
        assert _value(registry, "dimm_scheduler_job_runs_total", task="job-a", outcome="succeeded") == 1
        assert (_value(registry, "dimm_scheduler_job_last_success_timestamp_seconds", task="job-a") or 0) > 0
        assert _value(registry, "dimm_scheduler_job_runs_total", task="job-b", outcome="failed") == 1
        assert _value(registry, "dimm_scheduler_job_last_success_timestamp_seconds", task="job-b") is None

    async def test_a_replica_without_the_lease_runs_nothing_and_counts_nothing(self) -> None:
        scheduler, registry = _scheduler(held=False)
        await scheduler._guarded("job-a", _broken)()
        assert _value(registry, "dimm_scheduler_job_runs_total", task="job-a", outcome="failed") is None


def _never() -> DateTrigger:
    return DateTrigger(run_date="2999-01-01", timezone="UTC")


async def test_the_planned_interval_is_the_time_between_two_runs() -> None:
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    assert planned_interval(IntervalTrigger(seconds=90), now=now) == 90
    assert planned_interval(CronTrigger.from_crontab("0 3 * * 1", timezone="UTC"), now=now) == 7 * 86_400
    assert planned_interval(DateTrigger(run_date=datetime(2026, 12, 1, tzinfo=UTC)), now=now) == 0


async def test_each_job_exports_its_planned_interval() -> None:
    scheduler, registry = _scheduler(held=True)
    scheduler.add("every-minute", _ok, IntervalTrigger(seconds=60))
    assert _value(registry, "dimm_scheduler_job_interval_seconds", task="every-minute") == 60
