"""The Svix retry schedule, the outcome of a response, and the delivery of one message."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.watch.domain.deliveries import (
    EXCERPT_LIMIT,
    SVIX_DELAYS,
    AttemptResult,
    Delivery,
    DeliveryStatus,
    Message,
    Outcome,
    RetrySchedule,
    excerpt,
    outcome_for_status,
)
from shared.errors import Conflict, InvalidInput

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
EXACT = RetrySchedule(jitter=0)
FAILED = AttemptResult(Outcome.FAILED, status_code=500, latency_ms=12.5, response_excerpt="boom")
DELIVERED = AttemptResult(Outcome.DELIVERED, status_code=204, latency_ms=3.0)
GONE = AttemptResult(Outcome.GONE, status_code=410)


def _delivery(schedule: RetrySchedule = EXACT) -> Delivery:
    message = Message.new(endpoint_id="wep_1", event_type="watch.alert.opened", payload=b"{}", at=T0)
    return Delivery.start(message, schedule)


class TestSvixSchedule:
    def test_the_delays_after_each_failed_attempt(self) -> None:
        waits = [EXACT.next_delay(n, random.Random(0)) for n in range(1, 9)]
        assert waits == [
            timedelta(seconds=5),
            timedelta(minutes=5),
            timedelta(minutes=30),
            timedelta(hours=2),
            timedelta(hours=5),
            timedelta(hours=10),
            timedelta(hours=10),
            None,
        ]

    def test_eight_attempts_over_about_27_6_hours(self) -> None:
        assert EXACT.attempts == 8
        assert EXACT.first_delay == timedelta(0)
        assert sum(SVIX_DELAYS, timedelta(0)) == timedelta(hours=27, minutes=35, seconds=5)

    def test_attempts_are_numbered_from_one(self) -> None:
        with pytest.raises(InvalidInput):
            EXACT.next_delay(0, random.Random(0))


class TestJitter:
    def test_jitter_stays_within_its_fraction(self) -> None:
        rng = random.Random(42)
        waits = [RetrySchedule(jitter=0.1).next_delay(4, rng) for _ in range(500)]
        assert all(w is not None and timedelta(hours=1.8) <= w <= timedelta(hours=2.2) for w in waits)
        assert len(set(waits)) > 400

    def test_a_seeded_rng_gives_the_same_schedule(self) -> None:
        schedule = RetrySchedule()
        first = [schedule.next_delay(n, random.Random(7)) for n in range(1, 8)]
        again = [schedule.next_delay(n, random.Random(7)) for n in range(1, 8)]
        assert first == again

    def test_without_jitter_the_rng_is_not_used(self) -> None:
        assert EXACT.next_delay(1, random.Random(1)) == EXACT.next_delay(1, random.Random(2))


class TestCompression:
    def test_compress_divides_every_delay(self) -> None:
        fast = RetrySchedule(jitter=0, compress=1000)
        assert fast.next_delay(1, random.Random(0)) == timedelta(milliseconds=5)
        assert fast.next_delay(7, random.Random(0)) == timedelta(seconds=36)

    @pytest.mark.parametrize(
        "kwargs",
        [{"compress": 0}, {"jitter": 1.0}, {"jitter": -0.1}, {"delays": ()}, {"delays": (timedelta(-1),)}],
    )
    def test_a_wrong_schedule_is_refused(self, kwargs: dict[str, object]) -> None:
        with pytest.raises(InvalidInput):
            RetrySchedule(**kwargs)  # type: ignore[arg-type]


class TestOutcomeOfAResponse:
    @pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
    def test_a_2xx_is_delivered(self, status: int) -> None:
        assert outcome_for_status(status) is Outcome.DELIVERED

    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    def test_a_redirect_is_a_failure(self, status: int) -> None:
        assert outcome_for_status(status) is Outcome.FAILED

    def test_410_is_gone(self) -> None:
        assert outcome_for_status(410) is Outcome.GONE

    @pytest.mark.parametrize("status", [400, 401, 404, 429, 500, 502, 503])
    def test_any_other_status_is_a_failure(self, status: int) -> None:
        assert outcome_for_status(status) is Outcome.FAILED


class TestExcerpt:
    def test_an_excerpt_keeps_1000_characters(self) -> None:
        assert excerpt("é" * 5000) == "é" * EXCERPT_LIMIT

    def test_a_secret_is_never_in_an_excerpt(self) -> None:
        secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        text = excerpt(f"echo {secret} and MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", secrets=[secret])
        assert "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" not in text
        assert text == "echo [redacted] and [redacted]"


class TestDelivery:
    def test_the_first_attempt_is_due_at_once(self) -> None:
        delivery = _delivery()
        assert delivery.status is DeliveryStatus.PENDING
        assert delivery.next_attempt_at == T0
        assert delivery.due(T0)
        assert not delivery.due(T0 - timedelta(seconds=1))

    def test_a_2xx_delivers(self) -> None:
        delivery = _delivery()
        attempt = delivery.record_attempt(DELIVERED, at=T0, schedule=EXACT, rng=random.Random(0))
        assert (attempt.number, attempt.outcome, attempt.status_code) == (1, Outcome.DELIVERED, 204)
        assert delivery.status is DeliveryStatus.DELIVERED
        assert delivery.next_attempt_at is None

    def test_a_failure_plans_the_next_attempt(self) -> None:
        delivery = _delivery()
        attempt = delivery.record_attempt(FAILED, at=T0, schedule=EXACT, rng=random.Random(0))
        assert (attempt.latency_ms, attempt.response_excerpt) == (12.5, "boom")
        assert delivery.status is DeliveryStatus.PENDING
        assert delivery.next_attempt_at == T0 + timedelta(seconds=5)

    def test_eight_failures_exhaust_the_delivery(self) -> None:
        delivery, at = _delivery(), T0
        for _ in range(8):
            assert delivery.next_attempt_at is not None
            at = delivery.next_attempt_at
            delivery.record_attempt(FAILED, at=at, schedule=EXACT, rng=random.Random(0))
        assert delivery.status is DeliveryStatus.EXHAUSTED
        assert [a.number for a in delivery.attempts] == list(range(1, 9))
        assert at - T0 == timedelta(hours=27, minutes=35, seconds=5)

    def test_410_cancels_the_delivery(self) -> None:
        delivery = _delivery()
        delivery.record_attempt(GONE, at=T0, schedule=EXACT, rng=random.Random(0))
        assert delivery.status is DeliveryStatus.CANCELLED

    @pytest.mark.parametrize("outcome", [Outcome.REFUSED, Outcome.TIMEOUT, Outcome.NETWORK_ERROR])
    def test_refusals_timeouts_and_network_errors_are_retried(self, outcome: Outcome) -> None:
        delivery = _delivery()
        delivery.record_attempt(AttemptResult(outcome), at=T0, schedule=EXACT, rng=random.Random(0))
        assert delivery.status is DeliveryStatus.PENDING

    def test_a_disabled_endpoint_cancels_its_pending_deliveries(self) -> None:
        delivery = _delivery()
        assert delivery.cancel()
        assert delivery.status is DeliveryStatus.CANCELLED
        assert not delivery.cancel()

    def test_a_closed_delivery_takes_no_attempt(self) -> None:
        delivery = _delivery()
        delivery.record_attempt(DELIVERED, at=T0, schedule=EXACT, rng=random.Random(0))
        with pytest.raises(Conflict):
            delivery.record_attempt(DELIVERED, at=T0, schedule=EXACT, rng=random.Random(0))

    def test_an_attempt_keeps_at_most_1000_characters_of_the_response(self) -> None:
        long = AttemptResult(Outcome.FAILED, status_code=500, response_excerpt="x" * 5000)
        attempt = _delivery().record_attempt(long, at=T0, schedule=EXACT, rng=random.Random(0))
        assert len(attempt.response_excerpt) == EXCERPT_LIMIT


class TestReplay:
    def test_a_replay_restarts_the_schedule_and_keeps_the_log(self) -> None:
        short = RetrySchedule(delays=(timedelta(0), timedelta(seconds=5)), jitter=0)
        delivery = _delivery(short)
        delivery.record_attempt(FAILED, at=T0, schedule=short, rng=random.Random(0))
        delivery.record_attempt(FAILED, at=T0 + timedelta(seconds=5), schedule=short, rng=random.Random(0))
        assert delivery.status is DeliveryStatus.EXHAUSTED
        later = T0 + timedelta(days=2)
        delivery.replay(later)
        assert (delivery.status, delivery.next_attempt_at) == (DeliveryStatus.PENDING, later)
        delivery.record_attempt(FAILED, at=later, schedule=short, rng=random.Random(0))
        assert delivery.next_attempt_at == later + timedelta(seconds=5)
        assert [a.number for a in delivery.attempts] == [1, 2, 3]

    def test_a_pending_delivery_is_not_replayed(self) -> None:
        with pytest.raises(Conflict):
            _delivery().replay(T0)
