"""One dashboard per service: its health and HTTP answers, its events, its jobs and its own metrics."""

from __future__ import annotations

from dimm.dashboards import extras
from dimm.dashboards import panels as p
from dimm.dashboards import queries as q
from dimm.dashboards.grafana import (
    Json,
    Row,
    Threshold,
    dashboard,
    datasource_variable,
    instance_variable,
    target,
)
from dimm.dashboards.grafana import timeseries as series

#: The services whose scheduler runs jobs (scoring has none).
SCHEDULERS = ("assessment", "benchmark", "watch")
SUMMARIES = {
    "assessment": "Accounts, organisations and diagnostics; sends the probes, measures scoring latency.",
    "scoring": "Scores submitted diagnostics from the assessment events.",
    "benchmark": "Aggregates scored diagnostics into benchmarks and studies.",
    "watch": "Alerts, digests, webhooks and e-mails.",
}
JOB_AGE = [Threshold(p.GOOD), Threshold(p.WARN, 3600), Threshold(p.BAD, 90_000)]


def scope_of(name: str) -> str:
    return f'job="{name}", instance=~"$instance"'


def _http_rows(scope: str) -> list[Row]:
    stats = [
        p.up(scope, "instance"),
        p.ready(scope, ""),
        p.request_rate(scope, ""),
        p.error_share(scope, ""),
        p.p99_latency(scope, ""),
        p.availability_budget(scope, ""),
    ]
    latency = [target(q.http_quantile(quant, scope), f"p{round(quant * 100)}") for quant in (0.5, 0.95, 0.99)]
    trends = [
        p.trend(
            "Requests by route",
            description="User requests answered per second, per route template. A route that vanishes "
            "while others carry on may have lost its clients, or always fails before routing.",
            expr=q.requests(scope, "route"),
            labels="route",
            unit="reqps",
        ),
        p.trend(
            "Answers by status class",
            description="Answers per second by HTTP status class (every route). 4xx are callers' "
            "mistakes; 5xx are ours and spend the availability budget.",
            expr=q.rate("dimm_http_requests_total", scope, "status_class"),
            labels="status_class",
            unit="reqps",
        ),
        p.trend(
            "5xx share by route",
            description="Share of each route's answers that are 5xx; the dashed line is the SLO's 0.5 %. "
            "One route above it: a bug there or in a dependency only it uses.",
            expr=q.error_share(scope, "route"),
            labels="route",
            unit="percentunit",
            thresholds=p.ERROR_SHARE,
        ),
        series(
            "Latency percentiles",
            description="p50, p95 and p99 of the time to answer user requests. A p99 far above p50: a few "
            "slow queries or a dependency timing out.",
            targets=latency,
            unit="s",
            thresholds=p.LATENCY,
        ),
        p.trend(
            "p99 latency by route",
            description="99th percentile per route template: which route is slow.",
            expr=q.http_quantile(0.99, scope, "route"),
            labels="route",
            unit="s",
            thresholds=p.LATENCY,
        ),
        p.trend(
            "Dependencies up",
            description="Whether each dependency (MongoDB, Kafka) answered the readiness check at each "
            "scrape. 0: the service cannot commit or publish, and answers 503 on /readyz.",
            expr=q.total("dimm_dependency_up", scope, "dependency", aggregate="min"),
            labels="dependency",
            unit="none",
        ),
    ]
    return [Row("Availability and HTTP answers", [*stats, *trends])]


def _events_row(scope: str) -> Row:
    stats = [
        p.lag(scope, ""),
        p.dead_letters(scope, ""),
        p.outbox_age(scope, ""),
        extras.outbox_pending(scope),
        extras.parked(scope),
        extras.lag_measured_age(scope),
    ]
    return Row("Events: consumer and outbox", [*stats, *extras.event_trends(scope)])


def _jobs_row(scope: str) -> Row:
    return Row(
        "Scheduled jobs",
        [
            p.trend(
                "Time since each job's last success",
                description="Seconds since each scheduled job last ran to its end in the replica holding the "
                "scheduler lease. Interval jobs should stay near their interval, daily jobs under 25 h (the "
                "dashed red line); beyond that the job fails or no replica holds the lease.",
                expr=q.age("dimm_scheduler_job_last_success_timestamp_seconds", scope, "task"),
                labels="task",
                unit="s",
                thresholds=JOB_AGE,
            ),
            p.trend(
                "Job runs by outcome",
                description="Runs of each job per interval, by outcome. Any `failed`: read the service's log "
                "for that job; repeated failures leave its work undone.",
                expr=q.increase("dimm_scheduler_job_runs_total", scope, "task, outcome"),
                labels="task, outcome",
                unit="short",
            ),
        ],
    )


def service_dashboard(name: str) -> Json:
    """Build the dashboard of one service."""
    scope = scope_of(name)
    rows = [*_http_rows(scope), _events_row(scope)]
    rows += extras.own_rows(name, scope)
    if name in SCHEDULERS:
        rows.append(_jobs_row(scope))
    return dashboard(
        uid=f"dimm-{name}",
        title=f"DIMM / {name.capitalize()}",
        description=SUMMARIES[name],
        rows=rows,
        variables=[datasource_variable(), instance_variable(name)],
    )
