"""Every metric of the assessment service, declared once per app."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shared.events.contracts.probe import ANSWERED

#: Submitted → scored, in seconds: a few seconds is normal, minutes is an incident.
SCORING_LATENCY_BUCKETS = (0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)
#: Assessment → a service → assessment: a few hundred milliseconds is normal, tens of seconds a crawl.
PROBE_ROUND_TRIP_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class AssessmentMetrics:
    """Metrics of the assessment service beyond the messaging kernel's."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.probe_round_trip = Histogram(
            "dimm_probe_round_trip_seconds",
            "Round-trip times of the probes answered by each service (the responder): every answer "
            "counts, not only the last one a scrape happens to see.",
            ["responder"],
            buckets=PROBE_ROUND_TRIP_BUCKETS,
            registry=registry,
        )
        self.scoring_latency = Histogram(
            "dimm_diagnostic_scoring_latency_seconds",
            "From a diagnostic's submission to its scoring, read from the scored event's timestamps.",
            buckets=SCORING_LATENCY_BUCKETS,
            registry=registry,
        )
        self.scoring_failures = Counter(
            "dimm_diagnostic_scoring_failures_total",
            "Submitted diagnostics the scoring service gave up on.",
            registry=registry,
        )
        self.probe_last_answer = Gauge(
            "dimm_probe_last_answer_timestamp_seconds",
            "When the last probe answer from each service (the responder) reached assessment, or when "
            "assessment started if none has yet (Unix time): the stale-probe alert reads its age.",
            ["responder"],
            registry=registry,
        )
        started = time.time()
        for responder in ANSWERED:
            self.probe_last_answer.labels(responder).set(started)
            self.probe_round_trip.labels(responder)
