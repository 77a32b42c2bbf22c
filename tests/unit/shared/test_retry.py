"""Bounded retries with exponential backoff and jitter."""

from __future__ import annotations

from shared.messaging.consumer import RetryPolicy


class TestRetryPolicy:
    def test_delays_grow_then_stop_at_the_ceiling(self) -> None:
        policy = RetryPolicy(max_attempts=10, base_seconds=0.1, max_seconds=1.0)
        for attempt in range(1, 11):
            ceiling = min(1.0, 0.1 * 2 ** (attempt - 1))
            for _ in range(20):
                assert ceiling / 2 <= policy.delay(attempt) <= ceiling

    def test_jitter_spreads_the_delays(self) -> None:
        policy = RetryPolicy(base_seconds=1.0, max_seconds=10.0)
        assert len({policy.delay(3) for _ in range(20)}) > 1
