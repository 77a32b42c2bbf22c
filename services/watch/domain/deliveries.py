"""Delivering one webhook message to one endpoint: attempts, their outcomes and the retry schedule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from services.watch.domain.webhooks import new_message_id
from shared.errors import Conflict, InvalidInput

EXCERPT_LIMIT = 1_000
REDACTED = "[redacted]"
# Svix's default: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — 8 attempts over ~27.6 h.
SVIX_DELAYS: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)


class Outcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    GONE = "gone"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    NETWORK_ERROR = "network_error"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    EXHAUSTED = "exhausted"
    CANCELLED = "cancelled"


class Rng(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


def outcome_for_status(status_code: int) -> Outcome:
    """Judge a response: 2xx delivered, 410 gone, anything else (3xx included, never followed) failed."""
    if 200 <= status_code < 300:
        return Outcome.DELIVERED
    return Outcome.GONE if status_code == 410 else Outcome.FAILED


def excerpt(text: str, *, secrets: Sequence[str] = ()) -> str:
    """Keep the first 1,000 characters of a response, any secret blanked out first."""
    for secret in secrets:
        # The whole secret first, then its bare base64 (a receiver may echo either).
        for form in (secret, secret.removeprefix("whsec_")):
            if form:
                text = text.replace(form, REDACTED)
    return text[:EXCERPT_LIMIT]


@dataclass(frozen=True)
class Message:
    """One event for one endpoint; its id is the `webhook-id` of every attempt, so receivers dedupe."""

    id: str
    endpoint_id: str
    event_type: str
    payload: bytes
    created_at: datetime

    @classmethod
    def new(cls, *, endpoint_id: str, event_type: str, payload: bytes, at: datetime) -> Message:
        """Make a message with a fresh `msg_` id."""
        return cls(new_message_id(), endpoint_id, event_type, payload, at)


@dataclass(frozen=True)
class AttemptResult:
    """What one HTTP attempt gave, as the client saw it."""

    outcome: Outcome
    status_code: int | None = None
    latency_ms: float = 0.0
    response_excerpt: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Attempt:
    """One line of the delivery log."""

    number: int
    at: datetime
    outcome: Outcome
    status_code: int | None
    latency_ms: float
    response_excerpt: str
    detail: str = ""

    @classmethod
    def of(cls, number: int, at: datetime, result: AttemptResult) -> Attempt:
        """Log a client's result as attempt `number`, its excerpt capped."""
        return cls(
            number=number,
            at=at,
            outcome=result.outcome,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            response_excerpt=result.response_excerpt[:EXCERPT_LIMIT],
            detail=result.detail,
        )


@dataclass(frozen=True)
class RetrySchedule:
    """When to try again after a failed attempt: fixed delays, ± jitter, divided by `compress` in tests."""

    delays: tuple[timedelta, ...] = SVIX_DELAYS
    jitter: float = 0.1
    compress: float = 1.0

    def __post_init__(self) -> None:
        if not self.delays or any(d < timedelta(0) for d in self.delays):
            raise InvalidInput("A retry schedule has at least one delay, none negative.")
        if not 0 <= self.jitter < 1:
            raise InvalidInput("The jitter is a fraction between 0 and 1.")
        if self.compress <= 0:
            raise InvalidInput("The compression factor is positive.")

    @property
    def attempts(self) -> int:
        """Give the number of attempts before a message is given up."""
        return len(self.delays)

    @property
    def first_delay(self) -> timedelta:
        """Give the delay before the first attempt (none in Svix's schedule)."""
        return self.delays[0] / self.compress

    def next_delay(self, attempt_number: int, rng: Rng) -> timedelta | None:
        """Give the wait after failed attempt `attempt_number` (1-based), or None when none is left."""
        if attempt_number < 1:
            raise InvalidInput("Attempts are numbered from 1.")
        if attempt_number >= len(self.delays):
            return None
        base = self.delays[attempt_number] / self.compress
        return base * (1 + rng.uniform(-self.jitter, self.jitter))


@dataclass
class Delivery:
    """The delivery of one message to one endpoint: pending until delivered, exhausted or cancelled."""

    message_id: str
    endpoint_id: str
    next_attempt_at: datetime | None
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: list[Attempt] = field(default_factory=list)
    round_start: int = 0  # attempts made before the latest replay: the schedule restarts there

    @classmethod
    def start(cls, message: Message, schedule: RetrySchedule) -> Delivery:
        """Plan the first attempt of a message."""
        return cls(message.id, message.endpoint_id, message.created_at + schedule.first_delay)

    def due(self, at: datetime) -> bool:
        """Tell whether an attempt should be made now."""
        return self.next_attempt_at is not None and self.next_attempt_at <= at

    def record_attempt(
        self, result: AttemptResult, *, at: datetime, schedule: RetrySchedule, rng: Rng
    ) -> Attempt:
        """Log an attempt and move on: delivered, cancelled (410), retried later, or exhausted."""
        if self.status is not DeliveryStatus.PENDING:
            raise Conflict(f"The delivery of {self.message_id} is {self.status}, not pending.")
        attempt = Attempt.of(len(self.attempts) + 1, at, result)
        self.attempts.append(attempt)
        if result.outcome is Outcome.DELIVERED:
            self._close(DeliveryStatus.DELIVERED)
        elif result.outcome is Outcome.GONE:
            self._close(DeliveryStatus.CANCELLED)
        else:
            delay = schedule.next_delay(len(self.attempts) - self.round_start, rng)
            if delay is None:
                self._close(DeliveryStatus.EXHAUSTED)
            else:
                self.next_attempt_at = at + delay
        return attempt

    def cancel(self) -> bool:
        """Stop a pending delivery because its endpoint is disabled; True if it was pending."""
        if self.status is not DeliveryStatus.PENDING:
            return False
        self._close(DeliveryStatus.CANCELLED)
        return True

    def replay(self, at: datetime) -> None:
        """Send the message again from `at` on a fresh schedule, keeping the log (and the message id)."""
        if self.status is DeliveryStatus.PENDING:
            raise Conflict(f"The delivery of {self.message_id} is still pending.")
        self.status, self.next_attempt_at, self.round_start = DeliveryStatus.PENDING, at, len(self.attempts)

    def _close(self, status: DeliveryStatus) -> None:
        self.status, self.next_attempt_at = status, None
