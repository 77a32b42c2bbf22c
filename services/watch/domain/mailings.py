"""E-mails staged for sending: one per idempotency key, retried on transient failures, never sent twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from services.watch.domain.emails import OutgoingEmail

MailStatus = Literal["pending", "sent", "failed"]
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
"""After a transient failure (the server busy, unreachable): then the e-mail is given up as failed."""


class DeliveryFailed(Exception):
    """An e-mail was not accepted; `transient` says whether trying again later may succeed."""

    def __init__(self, detail: str, *, transient: bool, code: int | None = None) -> None:
        super().__init__(detail)
        self.transient = transient
        self.code = code


@dataclass
class StagedEmail:
    """An e-mail to send; its key (digest, alert or reminder) makes staging it again a no-op."""

    key: str
    account_id: str
    message: OutgoingEmail
    created_at: datetime
    organisation_id: str | None = None
    """The one organisation it is about (None for a digest), so an erasure can take it away."""
    status: MailStatus = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    history: list[str] = field(default_factory=list)

    @classmethod
    def stage(
        cls, message: OutgoingEmail, *, account_id: str, at: datetime, organisation_id: str | None = None
    ) -> StagedEmail:
        """Stage an e-mail, to be sent at once."""
        return cls(
            key=message.key,
            account_id=account_id,
            message=message,
            created_at=at,
            organisation_id=organisation_id,
            next_attempt_at=at,
        )

    def sent(self, at: datetime) -> None:
        """Record that the SMTP server accepted it."""
        self.attempts += 1
        self.status, self.sent_at, self.next_attempt_at = "sent", at, None

    def failed(self, at: datetime, error: str, *, transient: bool, compress: float = 1.0) -> None:
        """Record a refusal: retried later when transient and retries remain, given up otherwise."""
        self.attempts += 1
        self.last_error = error[:500]
        self.history.append(f"{at.isoformat()} {error[:200]}")
        if transient and self.attempts <= len(RETRY_DELAYS):
            self.next_attempt_at = at + RETRY_DELAYS[self.attempts - 1] / compress
        else:
            self.status, self.next_attempt_at = "failed", None
