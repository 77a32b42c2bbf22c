"""Panels of one service's dashboard: its events in detail, and the metrics only it exports."""

from __future__ import annotations

from dimm.dashboards import panels as p
from dimm.dashboards import queries as q
from dimm.dashboards.grafana import Panel, Row, Threshold, heatmap, stat, target, timeseries

PARKED = [Threshold(p.GOOD), Threshold(p.WARN, 1), Threshold(p.BAD, 100)]
MEASURED_AGE = [Threshold(p.GOOD), Threshold(p.WARN, 60), Threshold(p.BAD, 300)]
SCORING_LATENCY = [Threshold(p.GOOD), Threshold(p.WARN, 10), Threshold(p.BAD, q.LATENCY_THRESHOLD_SECONDS)]
IN_TIME = [Threshold(p.BAD), Threshold(p.WARN, q.LATENCY_OBJECTIVE), Threshold(p.GOOD, 0.999)]


def outbox_pending(scope: str) -> Panel:
    return stat(
        "Outbox pending",
        description="Events written but not yet published. Bursts are normal; a count that stays up "
        "with a growing oldest age means the relay is stuck.",
        targets=[target(q.total("dimm_outbox_pending_events", scope), "pending", instant=True)],
        unit="short",
        thresholds=p.LAG,
    )


def parked(scope: str) -> Panel:
    return stat(
        "Parked events",
        description="Consumed events waiting for an event they depend on (a model version, an "
        "organisation). They resume when it arrives; many, or for long, means it never came.",
        targets=[target(q.total("dimm_consumer_parked_events", scope), "parked", instant=True)],
        unit="short",
        thresholds=PARKED,
    )


def lag_measured_age(scope: str) -> Panel:
    return stat(
        "Lag measured",
        description="Time since the consumer lag was last measured (every 15 s by default). Minutes: "
        "the broker does not answer the lag monitor, and the lag shown is stale.",
        targets=[target(q.age("dimm_consumer_lag_measured_timestamp_seconds", scope), "ago", instant=True)],
        unit="s",
        thresholds=MEASURED_AGE,
        no_value="not measured",
    )


def event_trends(scope: str) -> list[Panel]:
    batch = [
        target(q.quantile(x, "dimm_consumer_batch_seconds", scope), f"p{round(x * 100)}")
        for x in (0.5, 0.95, 0.99)
    ]
    outbox = [
        target(q.rate("dimm_outbox_published_total", scope), "published"),
        target(q.rate("dimm_outbox_relay_failures_total", scope), "relay failures"),
        target(q.rate("dimm_consumer_retries_total", scope), "consumer retries"),
    ]
    return [
        p.trend(
            "Consumer lag by topic",
            description="Records not yet committed by the service's group, per topic. Growing steadily: "
            "the consumer is stuck (see dead letters, retries) or slower than the producers.",
            expr=q.total("dimm_consumer_lag_records", scope, "topic"),
            labels="topic",
            unit="short",
            thresholds=p.LAG,
        ),
        p.trend(
            "Consumer events by outcome",
            description="Events handled per second, by outcome. `processed` is the work; `duplicate` and "
            "`ignored` are harmless; `invalid` and `dead_lettered` are events lost to this service.",
            expr=q.rate("dimm_consumer_events_total", scope, "outcome"),
            labels="outcome",
            unit="ops",
        ),
        timeseries(
            "Batch processing time",
            description="p50, p95 and p99 of the time to handle one consumed batch, transaction included. "
            "Seconds per batch: slow database writes; the lag grows.",
            targets=batch,
            unit="s",
            thresholds=p.LATENCY,
        ),
        p.trend(
            "Dead letters by topic",
            description="Records sent to a dead-letter topic per interval. Any is an event this service "
            "could not handle; it waits there for a fix and a replay.",
            expr=q.increase("dimm_dead_letters_total", scope, "topic"),
            labels="topic",
            unit="short",
            thresholds=p.ANY_IS_BAD,
        ),
        p.trend(
            "Oldest outbox event",
            description="Age of the oldest event not yet published. A sawtooth near 0 is healthy; a ramp "
            "means the relay cannot publish and every other service stops hearing from this one.",
            expr=q.total("dimm_outbox_oldest_pending_age_seconds", scope, aggregate="max"),
            labels="",
            unit="s",
            thresholds=p.OUTBOX_AGE,
        ),
        timeseries(
            "Publishing and retries",
            description="Events the relay published per second, relay rounds that failed, and consumer "
            "attempts retried. Failures and retries that persist mean Kafka or MongoDB refuses.",
            targets=outbox,
            unit="ops",
        ),
        p.trend(
            "Parked events",
            description="Events waiting for an event they depend on. They should drain within minutes.",
            expr=q.total("dimm_consumer_parked_events", scope),
            labels="",
            unit="short",
            thresholds=PARKED,
        ),
        p.trend(
            "Broker messages by handler and status",
            description="Messages FastStream handled per second, by subscriber and status. `error` or "
            "`nacked` that persist: the handler fails before the consumer's own bookkeeping.",
            expr=q.rate("faststream_received_processed_messages_total", scope, "handler, status"),
            labels="handler, status",
            unit="ops",
        ),
    ]


def _assessment_rows(scope: str) -> list[Row]:
    percentiles = [
        target(q.quantile(x, q.SCORING_LATENCY, scope), f"p{round(x * 100)}") for x in (0.5, 0.95, 0.99)
    ]
    scoring = [
        p.latency_budget(scope, width=6),
        stat(
            "Scored within 30 s",
            description="Share of the diagnostics scored within 30 s of submission over the dashboard's "
            "time range. Below 99 %: the latency SLO is being missed over that range.",
            targets=[target(q.scored_in_time(scope, window="$__range"), "diagnostics", instant=True)],
            unit="percentunit",
            thresholds=IN_TIME,
            width=6,
            no_value="no diagnostics",
        ),
        stat(
            "Scoring failures (24 h)",
            description="Submitted diagnostics the scoring service gave up on in the last day. Any: a "
            "user waits for a scorecard that will not come; look at scoring's dead letters.",
            targets=[
                target(
                    q.increase("dimm_diagnostic_scoring_failures_total", scope, window="24h"),
                    "failures",
                    instant=True,
                )
            ],
            unit="short",
            thresholds=p.ANY_IS_BAD,
            width=6,
            decimals=0,
        ),
        p.probe_round_trip(scope, width=6),
        heatmap(
            "Scoring latency",
            description="Diagnostics scored per interval, by time from submission to scoring (histogram "
            "buckets). Mass in the upper buckets (30 s and more) spends the latency budget.",
            expr=q.increase(f"{q.SCORING_LATENCY}_bucket", scope, "le"),
            unit="s",
        ),
        timeseries(
            "Scoring latency percentiles",
            description="p50, p95 and p99 of submission → scoring; the dashed red line is the SLO's 30 s.",
            targets=percentiles,
            unit="s",
            thresholds=SCORING_LATENCY,
        ),
    ]
    probes = [
        p.trend(
            "Probe round trip by service (p90)",
            description="90th percentile of the probes' round trips through each service over "
            f"{p.PROBE_WINDOW}. Well under a second is normal; tens of seconds: events crawl through "
            "that service.",
            expr=q.quantile(0.9, p.PROBE_ROUND_TRIP_METRIC, scope, "responder", window=p.PROBE_WINDOW),
            labels="responder",
            unit="s",
            thresholds=p.PROBE_ROUND_TRIP,
        ),
        p.trend(
            "Time since each service's last probe answer",
            description="A probe goes through every service each minute. A line climbing past a few "
            "minutes: that service no longer consumes or publishes.",
            expr=q.age("dimm_probe_last_answer_timestamp_seconds", scope, "responder"),
            labels="responder",
            unit="s",
            thresholds=p.PROBE_AGE,
        ),
    ]
    return [Row("Diagnostic scoring latency", scoring), Row("Probes", probes)]


def _watch_rows(scope: str) -> list[Row]:
    return [
        Row(
            "Webhooks and e-mails",
            [
                stat(
                    "Endpoints disabled (24 h)",
                    description="Webhook endpoints disabled in the last day (gone, or failing for the whole "
                    "window). Their owners receive nothing until they re-enable them.",
                    targets=[
                        target(
                            q.increase("dimm_webhook_endpoints_disabled_total", scope, window="24h"),
                            "disabled",
                            instant=True,
                        )
                    ],
                    unit="short",
                    thresholds=[Threshold(p.GOOD), Threshold(p.WARN, 1), Threshold(p.BAD, 5)],
                    width=24,
                    decimals=0,
                ),
                p.trend(
                    "Webhook attempts by outcome",
                    description="Delivery attempts per second by outcome. A rise of `failed`, `timeout` or "
                    "`refused` against `delivered`: receivers are down, or our egress is blocked.",
                    expr=q.rate("dimm_webhook_attempts_total", scope, "outcome"),
                    labels="outcome",
                    unit="ops",
                ),
                p.trend(
                    "Webhook deliveries ended by status",
                    description="Deliveries that ended per interval: `delivered`, `exhausted` (every retry "
                    "failed: the receiver missed the event) or `cancelled`.",
                    expr=q.increase("dimm_webhook_deliveries_total", scope, "status"),
                    labels="status",
                    unit="short",
                ),
                p.trend(
                    "Endpoints disabled",
                    description="Webhook endpoints disabled per interval. Each one is a customer who no "
                    "longer receives alerts by webhook until they re-enable the endpoint.",
                    expr=q.increase("dimm_webhook_endpoints_disabled_total", scope),
                    labels="",
                    unit="short",
                    thresholds=p.ANY_IS_BAD,
                ),
                p.trend(
                    "E-mails by outcome",
                    description="E-mails handed to the SMTP server per second. `refused_transient` is "
                    "retried; `refused_permanent` is an e-mail a user will never get.",
                    expr=q.rate("dimm_emails_total", scope, "outcome"),
                    labels="outcome",
                    unit="ops",
                ),
            ],
        )
    ]


def own_rows(name: str, scope: str) -> list[Row]:
    """The rows of the metrics only this service exports."""
    if name == "assessment":
        return _assessment_rows(scope)
    if name == "watch":
        return _watch_rows(scope)
    return []
