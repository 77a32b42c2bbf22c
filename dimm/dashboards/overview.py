"""The overview dashboard: every service side by side, the probes, and both SLOs' error budgets."""

from __future__ import annotations

from dimm.dashboards import panels as p
from dimm.dashboards import queries as q
from dimm.dashboards.grafana import Json, Row, dashboard, datasource_variable
from shared.messaging.topics import SERVICES

UID = "dimm-overview"
#: Every scrape job of a service (the `prometheus` job scrapes Prometheus itself).
ALL = 'job=~"' + "|".join(SERVICES) + '"'
ASSESSMENT = 'job="assessment"'
BY = "service"


def _services_row() -> Row:
    return Row(
        "Services",
        [
            p.up(ALL, "job", width=6),
            p.ready(ALL, BY, width=6),
            p.request_rate(ALL, BY, width=6),
            p.error_share(ALL, BY, width=6),
            p.p99_latency(ALL, BY, width=6),
            p.lag(ALL, BY, width=6),
            p.dead_letters(ALL, BY, width=6),
            p.outbox_age(ALL, BY, width=6),
        ],
    )


def _budgets_row() -> Row:
    return Row(
        "SLO error budgets (30 days)",
        [
            p.availability_budget(ALL, BY, width=12),
            p.latency_budget(ASSESSMENT, width=6),
            p.probe_round_trip(ASSESSMENT, width=6),
        ],
    )


def _probes_row() -> Row:
    return Row("Probes through every service", [p.probe_age(ASSESSMENT, width=24)])


def _trends_row() -> Row:
    return Row(
        "Trends",
        [
            p.trend(
                "Requests per service",
                description="User requests answered per second. A service dropping to 0 while others carry "
                "on is unreachable; all at 0 points at the gateway.",
                expr=q.requests(ALL, BY),
                labels=BY,
                unit="reqps",
            ),
            p.trend(
                "5xx share per service",
                description="Share of user answers that are 5xx; the dashed line is the SLO's 0.5 %. "
                "Above it for long, the availability budget runs out before the 30 days are over.",
                expr=q.error_share(ALL, BY),
                labels=BY,
                unit="percentunit",
                thresholds=p.ERROR_SHARE,
            ),
            p.trend(
                "p99 latency per service",
                description="99th percentile of the time to answer a user request. A rise on one service "
                "alone points at its database queries or its dependencies.",
                expr=q.http_quantile(0.99, ALL, BY),
                labels=BY,
                unit="s",
                thresholds=p.LATENCY,
            ),
            p.trend(
                "Consumer lag per service",
                description="Records each service's consumer group has not committed. A line that only goes "
                "up means a stuck consumer; events pile up behind it.",
                expr=q.total("dimm_consumer_lag_records", ALL, BY),
                labels=BY,
                unit="short",
                thresholds=p.LAG,
            ),
        ],
    )


def overview() -> Json:
    """Build the overview dashboard."""
    return dashboard(
        uid=UID,
        title="DIMM / Overview",
        description="The four services at a glance: up, ready, traffic, errors, latency, events, "
        "SLO budgets.",
        rows=[_services_row(), _budgets_row(), _probes_row(), _trends_row()],
        variables=[datasource_variable()],
    )
