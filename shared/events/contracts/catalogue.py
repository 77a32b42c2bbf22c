"""Events of the model catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.events.envelope import Event, EventRegistry


class ModelPublished(Event):
    """Emitted by assessment when a model version is published; carries the full document."""

    event_type = "dimm.assessment.model.published.v1"

    model_id: str
    version: str
    content_hash: str
    title: str
    indicator_count: int
    published_at: datetime
    document: dict[str, Any]


def register(registry: EventRegistry) -> None:
    """Register the catalogue events."""
    registry.register(ModelPublished)
