"""Scheduled work of the assessment service, in one replica at a time: the probe, the reconciliation."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger

from services.assessment.service_layer import probes
from services.assessment.service_layer.reconcile import resend_unscored
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.mongo import utc_now
from shared.runtime import ServiceRuntime
from shared.scheduling import LeasedScheduler, SchedulerMetrics

SCHEDULER_LEASE = "assessment-scheduler"
PROBE_JOB = "assessment-probe"
RECONCILE_JOB = "assessment-resend-unscored"
RECONCILE_EVERY_SECONDS = 60.0


def start_schedule(
    runtime: ServiceRuntime[AssessmentUnitOfWork],
    *,
    probe_every_seconds: float,
    resend_after: timedelta,
    metrics: SchedulerMetrics,
) -> LeasedScheduler:
    """Start the jobs: the periodic probe (none when its interval is 0) and the reconciliation.

    Each probe answer sets `dimm_probe_last_answer_timestamp_seconds`: when events stop flowing
    through a service, its answers stop and the stale-probe alert fires, whoever calls the
    platform or not. The reconciliation sends again the submitted event of diagnostics not scored
    in time (a broker that lost it, a consumer that never got it).
    """

    async def probe() -> None:
        await probes.request_probes(1, unit_of_work=runtime.unit_of_work)

    async def reconcile() -> None:
        await resend_unscored(uow=runtime.unit_of_work(), now=utc_now(), after=resend_after)

    scheduler = LeasedScheduler(runtime.lease(SCHEDULER_LEASE), metrics=metrics)
    if probe_every_seconds > 0:
        scheduler.add(PROBE_JOB, probe, IntervalTrigger(seconds=probe_every_seconds))
    scheduler.add(RECONCILE_JOB, reconcile, IntervalTrigger(seconds=RECONCILE_EVERY_SECONDS))
    scheduler.start()
    return scheduler
