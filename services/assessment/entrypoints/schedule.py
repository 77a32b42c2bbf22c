"""Scheduled work of the assessment service: the periodic probe, in one replica at a time."""

from __future__ import annotations

from apscheduler.triggers.interval import IntervalTrigger

from services.assessment.service_layer import probes
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.runtime import ServiceRuntime
from shared.scheduling import LeasedScheduler, SchedulerMetrics

PROBE_LEASE = "assessment-scheduler"
PROBE_JOB = "assessment-probe"


def start_probe_schedule(
    runtime: ServiceRuntime[AssessmentUnitOfWork], *, every_seconds: float, metrics: SchedulerMetrics
) -> LeasedScheduler | None:
    """Send one probe through every service on an interval (none when the interval is 0).

    Each answer sets `dimm_probe_last_answer_timestamp_seconds`: when events stop flowing through a
    service, its answers stop and the stale-probe alert fires, whoever calls the platform or not.
    """
    if every_seconds <= 0:
        return None

    async def probe() -> None:
        await probes.request_probes(1, unit_of_work=runtime.unit_of_work)

    scheduler = LeasedScheduler(runtime.lease(PROBE_LEASE), metrics=metrics)
    scheduler.add(PROBE_JOB, probe, IntervalTrigger(seconds=every_seconds))
    scheduler.start()
    return scheduler
