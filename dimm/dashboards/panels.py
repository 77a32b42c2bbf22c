"""Panels the overview and the service dashboards share: health, HTTP answers, events, budgets.

Each factory takes the `scope` (label matchers) and the labels a result keeps, so one panel
shows one service (per instance) or every service side by side.
"""

from __future__ import annotations

from dimm.dashboards import queries as q
from dimm.dashboards.grafana import Json, Panel, Threshold, stat, target, timeseries

GOOD, WARN, BAD = "green", "orange", "red"
UP_MAPPINGS: list[Json] = [
    {"type": "value", "options": {"0": {"text": "DOWN", "color": BAD}, "1": {"text": "UP", "color": GOOD}}}
]
READY_MAPPINGS: list[Json] = [
    {
        "type": "value",
        "options": {"0": {"text": "NOT READY", "color": BAD}, "1": {"text": "READY", "color": GOOD}},
    }
]
ON_OFF = [Threshold(BAD), Threshold(GOOD, 1)]
ERROR_SHARE = [Threshold(GOOD), Threshold(WARN, 1 - q.AVAILABILITY_OBJECTIVE), Threshold(BAD, 0.05)]
LATENCY = [Threshold(GOOD), Threshold(WARN, 1), Threshold(BAD, 5)]
BUDGET = [Threshold(BAD), Threshold(WARN, 0), Threshold(GOOD, 0.25)]
LAG = [Threshold(GOOD), Threshold(WARN, 100), Threshold(BAD, 1000)]
ANY_IS_BAD = [Threshold(GOOD), Threshold(BAD, 1)]
OUTBOX_AGE = [Threshold(GOOD), Threshold(WARN, 60), Threshold(BAD, 300)]
PROBE_ROUND_TRIP_METRIC = "dimm_probe_round_trip_seconds"
#: Probes go once a minute: a quantile over this window reads about fifteen of them.
PROBE_WINDOW = "15m"
PROBE_ROUND_TRIP = [Threshold(GOOD), Threshold(WARN, 5), Threshold(BAD, 30)]
PROBE_AGE = [Threshold(GOOD), Threshold(WARN, 180), Threshold(BAD, 600)]


def legend(labels: str) -> str:
    return " ".join("{{" + label.strip() + "}}" for label in labels.split(",") if label.strip())


def up(job_scope: str, labels: str, *, width: int = 4) -> Panel:
    return stat(
        "Up",
        description="Whether Prometheus could scrape the service. DOWN: the process is gone, "
        "restarting, or unreachable on the compose network; nothing else on this dashboard is fresh.",
        targets=[target(f"max by ({labels}) (up{q.matchers(job_scope)})", legend(labels), instant=True)],
        unit="none",
        thresholds=ON_OFF,
        mappings=UP_MAPPINGS,
        width=width,
    )


def ready(scope: str, labels: str, *, width: int = 4) -> Panel:
    return stat(
        "Ready",
        description="Whether MongoDB and Kafka answered the service's readiness check at the last scrape. "
        "NOT READY: the service answers 503 on /readyz and cannot commit or publish.",
        targets=[
            target(
                q.total("dimm_dependency_up", scope, labels, aggregate="min"), legend(labels), instant=True
            )
        ],
        unit="none",
        thresholds=ON_OFF,
        mappings=READY_MAPPINGS,
        width=width,
    )


def request_rate(scope: str, labels: str, *, width: int = 4) -> Panel:
    return stat(
        "Request rate",
        description="User requests answered per second (health checks and scrapes left out). "
        "A sudden drop to 0 while users are active means the gateway no longer reaches the service.",
        targets=[target(q.requests(scope, labels), legend(labels))],
        unit="reqps",
        thresholds=[Threshold(GOOD)],
        width=width,
        no_value="0",
    )


def error_share(scope: str, labels: str, *, width: int = 4) -> Panel:
    return stat(
        "5xx share",
        description="Share of user requests answered 5xx. Above 0.5 % the service spends its availability "
        "error budget faster than the 30-day SLO allows; every 5xx is a bug or an unavailable dependency.",
        targets=[target(q.error_share(scope, labels), legend(labels))],
        unit="percentunit",
        thresholds=ERROR_SHARE,
        width=width,
        no_value="no traffic",
    )


def p99_latency(scope: str, labels: str, *, width: int = 4) -> Panel:
    return stat(
        "p99 latency",
        description="99th percentile of the time to answer a user request. Above 1 s users wait; "
        "above 5 s requests time out at the gateway or the caller.",
        targets=[target(q.http_quantile(0.99, scope, labels), legend(labels))],
        unit="s",
        thresholds=LATENCY,
        width=width,
        no_value="no traffic",
    )


def availability_budget(scope: str, labels: str, *, width: int = 4) -> Panel:
    return stat(
        "Availability budget left (30 d)",
        description="Share of the 30-day error budget of the availability SLO (99.5 % of user answers "
        "not 5xx) still unspent. Below 25 % slow down risky changes; below 0 the SLO is missed.",
        targets=[target(q.availability_budget_remaining(scope, labels), legend(labels), instant=True)],
        unit="percentunit",
        thresholds=BUDGET,
        width=width,
        no_value="no traffic",
    )


def latency_budget(scope: str, *, width: int = 4) -> Panel:
    return stat(
        "Scoring latency budget left (30 d)",
        description="Share of the 30-day error budget of the latency SLO (99 % of diagnostics scored within "
        f"{q.LATENCY_THRESHOLD_SECONDS} s of submission) still unspent. Below 0 the SLO is missed: "
        "scoring is slow or stalled (look at scoring's consumer lag).",
        targets=[target(q.latency_budget_remaining(scope), "diagnostics", instant=True)],
        unit="percentunit",
        thresholds=BUDGET,
        width=width,
        no_value="no diagnostics",
    )


def lag(scope: str, labels: str, *, width: int = 4) -> Panel:
    return stat(
        "Consumer lag",
        description="Records the service's consumer group has not committed yet, all topics together. "
        "A lag that keeps growing means the consumer is stuck or too slow; events wait.",
        targets=[target(q.total("dimm_consumer_lag_records", scope, labels), legend(labels), instant=True)],
        unit="short",
        thresholds=LAG,
        width=width,
        no_value="not measured",
    )


def dead_letters(scope: str, labels: str, *, width: int = 4) -> Panel:
    return stat(
        "Dead letters (1 h)",
        description="Records sent to a dead-letter topic in the last hour. Any is bad: an event could not "
        "be handled and was set aside; read the dead-letter topic and replay it once fixed.",
        targets=[
            target(
                q.increase("dimm_dead_letters_total", scope, labels, window="1h"),
                legend(labels),
                instant=True,
            )
        ],
        unit="short",
        thresholds=ANY_IS_BAD,
        width=width,
        no_value="0",
        decimals=0,
    )


def outbox_age(scope: str, labels: str, *, width: int = 4) -> Panel:
    return stat(
        "Oldest outbox event",
        description="Age of the oldest event written but not yet published. Growing: the relay cannot "
        "publish (Kafka refuses, or no replica holds the relay lease) and other services see nothing new.",
        targets=[
            target(
                q.total("dimm_outbox_oldest_pending_age_seconds", scope, labels, aggregate="max"),
                legend(labels),
                instant=True,
            )
        ],
        unit="s",
        thresholds=OUTBOX_AGE,
        width=width,
    )


def probe_round_trip(assessment_scope: str, *, width: int = 6) -> Panel:
    return stat(
        "Probe round trip (p90)",
        description="Time the probes took from assessment through each service and back: the 90th "
        f"percentile over the last {PROBE_WINDOW} (a probe a minute). Tens of seconds: events crawl "
        "through that service (lag, retries, a slow broker).",
        targets=[
            target(
                q.quantile(0.9, PROBE_ROUND_TRIP_METRIC, assessment_scope, "responder", window=PROBE_WINDOW),
                "{{responder}}",
                instant=True,
            )
        ],
        unit="s",
        thresholds=PROBE_ROUND_TRIP,
        width=width,
        no_value="no probe answered",
    )


def probe_age(assessment_scope: str, *, width: int = 6) -> Panel:
    return stat(
        "Last probe answer",
        description="Time since each service last answered assessment's periodic probe (sent every "
        "minute by default). Minutes: events no longer flow through that service, even if nobody calls it.",
        targets=[
            target(
                q.age("dimm_probe_last_answer_timestamp_seconds", assessment_scope, "responder"),
                "{{responder}}",
                instant=True,
            )
        ],
        unit="s",
        thresholds=PROBE_AGE,
        width=width,
        no_value="no probe answered",
    )


def trend(
    title: str,
    *,
    description: str,
    expr: str,
    labels: str,
    unit: str,
    thresholds: list[Threshold] | None = None,
    width: int = 12,
) -> Panel:
    """A timeseries of one query, one line per `labels`."""
    return timeseries(
        title,
        description=description,
        targets=[target(expr, legend(labels))],
        unit=unit,
        thresholds=thresholds,
        width=width,
    )
