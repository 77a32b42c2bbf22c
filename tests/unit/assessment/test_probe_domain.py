"""The probe aggregate: what is missing, when it is complete, round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.assessment.domain.probes import Probe, ProbeAnswer

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _answer(service: str, after_ms: int, deliveries: int = 1) -> ProbeAnswer:
    at = T0 + timedelta(milliseconds=after_ms)
    return ProbeAnswer(
        service=service, received_at=at, answered_at=at - timedelta(milliseconds=5), deliveries=deliveries
    )


class TestProbe:
    def test_a_new_probe_misses_every_service(self) -> None:
        probe = Probe("p", T0, ("scoring", "benchmark", "watch"))
        assert probe.status == "pending"
        assert probe.missing == ["scoring", "benchmark", "watch"]

    def test_a_probe_is_complete_once_every_service_answered(self) -> None:
        answers = {s: _answer(s, 100) for s in ("scoring", "benchmark", "watch")}
        probe = Probe("p", T0, ("scoring", "benchmark", "watch"), answers)
        assert probe.status == "complete"
        assert probe.missing == []

    def test_round_trips_are_measured_from_the_request(self) -> None:
        probe = Probe("p", T0, ("scoring",), {"scoring": _answer("scoring", 250)})
        assert probe.answers["scoring"].round_trip_seconds(probe.requested_at) == 0.25

    def test_clock_skew_never_gives_a_negative_round_trip(self) -> None:
        assert _answer("scoring", -20).round_trip_seconds(T0) == 0.0
