"""Every metric of the assessment service, declared once per app."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge


class AssessmentMetrics:
    """Metrics of the assessment service beyond the messaging kernel's."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.probe_round_trip = Gauge(
            "dimm_probe_round_trip_seconds",
            "Round-trip time of the last probe answered by each service.",
            ["service"],
            registry=registry,
        )
        self.probe_last_answer = Gauge(
            "dimm_probe_last_answer_timestamp_seconds",
            "When the last probe answer from each service reached assessment (Unix time).",
            ["service"],
            registry=registry,
        )
