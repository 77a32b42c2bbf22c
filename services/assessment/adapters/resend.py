"""The submitted events kept in the assessment outbox, sent again by the reconciliation job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from shared.events.contracts.assessment import DiagnosticSubmitted
from shared.messaging.outbox import republish
from shared.mongo import ensure_index


class OutboxSubmissionResender:
    """Make the published `diagnostic.submitted` rows of some diagnostics pending again."""

    def __init__(self, outbox: AsyncCollection[dict[str, Any]]) -> None:
        self._outbox = outbox

    async def ensure_indexes(self) -> None:
        """Find a diagnostic's submitted event without scanning the outbox."""
        await ensure_index(self._outbox, "data.diagnostic_id", sparse=True)

    async def resend(self, diagnostic_ids: list[str], *, published_before: datetime) -> int:
        """Publish again the submitted events of these diagnostics sent before a moment."""
        selector = {"type": DiagnosticSubmitted.event_type, "data.diagnostic_id": {"$in": diagnostic_ids}}
        return await republish(self._outbox, selector, published_before=published_before)
