"""The PromQL the dashboards run, written once: rates, shares, quantiles and SLO error budgets.

`scope` is the label matchers that pick the series (`job="scoring", instance=~"$instance"`);
`by` the labels a result keeps. Prometheus gives every target the labels `job` and `service`: no
metric of ours uses them (a scheduled job is `task`, a probe's answering service `responder`).
"""

from __future__ import annotations

RATE = "$__rate_interval"
#: Liveness, readiness and scrapes are not answers to users: the availability SLO leaves them out.
USER_ROUTES = 'route!~".*/(metrics|healthz|readyz)"'

SLO_WINDOW = "30d"
#: 99.5 % of the user answers over 30 days are not 5xx.
AVAILABILITY_OBJECTIVE = 0.995
#: 99 % of the diagnostics are scored within 30 s of their submission.
LATENCY_OBJECTIVE = 0.99
LATENCY_THRESHOLD_SECONDS = 30
#: prometheus_client writes bucket bounds as floats (`30.0`); Prometheus 3 normalises `30` to that.
LATENCY_THRESHOLD_LE = "30.0"
SCORING_LATENCY = "dimm_diagnostic_scoring_latency_seconds"


def _budget(objective: float) -> str:
    return f"{1 - objective:.6g}"


def matchers(*parts: str) -> str:
    """Join label matchers into a selector's braces, leaving out empty ones."""
    return "{" + ", ".join(part for part in parts if part) + "}"


def by(labels: str) -> str:
    return f"by ({labels}) " if labels else ""


def requests(scope: str, labels: str, *, window: str = RATE, errors: bool = False) -> str:
    """Rate of user requests answered (5xx only with `errors`)."""
    status = 'status_class="5xx"' if errors else ""
    selector = matchers(scope, USER_ROUTES, status)
    return f"sum {by(labels)}(rate(dimm_http_requests_total{selector}[{window}]))"


def error_share(scope: str, labels: str, *, window: str = RATE) -> str:
    """Share of user answers that are 5xx; 0 where nothing failed, no value where nothing was asked."""
    total = requests(scope, labels, window=window)
    errors = requests(scope, labels, window=window, errors=True)
    return f"({errors} or 0 * {total}) / ({total} > 0)"


def availability_budget_remaining(scope: str, labels: str) -> str:
    """Share of the 30-day availability error budget not yet spent (negative: overspent)."""
    share = error_share(scope, labels, window=SLO_WINDOW)
    return f"1 - ({share}) / {_budget(AVAILABILITY_OBJECTIVE)}"


def scored_in_time(scope: str, *, window: str) -> str:
    """Share of the diagnostics scored within the latency SLO's threshold."""
    threshold = 'le="' + LATENCY_THRESHOLD_LE + '"'
    within = f"sum(rate({SCORING_LATENCY}_bucket{matchers(scope, threshold)}[{window}]))"
    total = f"sum(rate({SCORING_LATENCY}_count{matchers(scope)}[{window}]))"
    return f"{within} / ({total} > 0)"


def latency_budget_remaining(scope: str) -> str:
    """Share of the 30-day scoring-latency error budget not yet spent (negative: overspent)."""
    late = f"(1 - {scored_in_time(scope, window=SLO_WINDOW)})"
    return f"1 - {late} / {_budget(LATENCY_OBJECTIVE)}"


def quantile(q: float, histogram: str, scope: str, labels: str = "", *, window: str = RATE) -> str:
    """The q-quantile of a histogram over the window, per `labels`."""
    keep = ", ".join(part for part in (labels, "le") if part)
    return f"histogram_quantile({q}, sum by ({keep}) (rate({histogram}_bucket{matchers(scope)}[{window}])))"


def http_quantile(q: float, scope: str, labels: str = "") -> str:
    """The q-quantile of the time to answer user requests."""
    return quantile(q, "dimm_http_request_duration_seconds", f"{scope}, {USER_ROUTES}", labels)


def total(metric: str, scope: str, labels: str = "", *, aggregate: str = "sum") -> str:
    """A gauge aggregated over the selected series."""
    return f"{aggregate} {by(labels)}({metric}{matchers(scope)})"


def rate(metric: str, scope: str, labels: str = "", *, window: str = RATE) -> str:
    """Per-second rate of a counter, summed per `labels`."""
    return f"sum {by(labels)}(rate({metric}{matchers(scope)}[{window}]))"


def increase(metric: str, scope: str, labels: str = "", *, window: str = RATE) -> str:
    """How much a counter grew over the window, summed per `labels`."""
    return f"sum {by(labels)}(increase({metric}{matchers(scope)}[{window}]))"


def age(timestamp_metric: str, scope: str, labels: str = "") -> str:
    """Seconds since the newest Unix timestamp a gauge holds, per `labels`."""
    return f"time() - {total(timestamp_metric, scope, labels, aggregate='max')}"
