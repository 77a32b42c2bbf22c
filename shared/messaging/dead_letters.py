"""What a consumer does with what it cannot process: bounded retries, then the dead-letter topic."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal, Protocol

from shared.messaging.outbox import RecordSender

logger = logging.getLogger(__name__)

MAX_ERROR_HEADER = 1_000
#: Why a record was dead-lettered (its `dlq_reason` header); `invalid-event`: unreadable as one of ours.
DeadLetterReason = Literal["invalid-event", "retries-exhausted", "permanent-error", "dependency-timeout"]
#: The one reason whose record may be anything: its value and headers were not one of our events.
UNREADABLE: Final[DeadLetterReason] = "invalid-event"


class ConsumedRecord(Protocol):
    """The fields of a Kafka record the consumer reads (aiokafka's ConsumerRecord has them)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter."""

    max_attempts: int = 5
    base_seconds: float = 0.2
    max_seconds: float = 5.0

    def delay(self, attempt: int) -> float:
        """Return how long to wait after the given failed attempt (1-based)."""
        ceiling = min(self.max_seconds, self.base_seconds * 2.0 ** (attempt - 1))
        return ceiling * (0.5 + random.random() / 2)


class DeadLetters:
    """Send records that cannot be processed to the consumer group's dead-letter topic."""

    def __init__(self, sender: RecordSender, *, topic: str, group: str) -> None:
        self._sender = sender
        self.topic = topic
        self._group = group

    @property
    def group(self) -> str:
        """Name the consumer group whose dead letters these are."""
        return self._group

    async def send(
        self, record: ConsumedRecord, *, reason: DeadLetterReason, error: str, attempts: int
    ) -> None:
        """Publish the original record with the failure in headers and wait for the broker."""
        headers = [(k, v) for k, v in record.headers if not k.startswith("dlq_")]
        headers += [
            ("dlq_reason", reason.encode()),
            ("dlq_error", error[:MAX_ERROR_HEADER].encode("utf-8", "replace")),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_group", self._group.encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
            ("dlq_failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        future = await self._sender.send(self.topic, record.value or b"", key=record.key, headers=headers)
        await future
        logger.warning(
            "dead-lettered %s[%s]@%s to %s: %s",
            record.topic,
            record.partition,
            record.offset,
            self.topic,
            reason,
        )
