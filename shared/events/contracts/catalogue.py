"""Events of the model catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.events.envelope import Event, EventRegistry
from shared.model.schema import MaturityModel


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

    @classmethod
    def of(cls, model: MaturityModel, *, at: datetime) -> ModelPublished:
        """Announce a model version with its whole document."""
        return cls(
            model_id=model.model_id,
            version=model.version,
            content_hash=model.content_hash,
            title=model.title,
            indicator_count=model.indicator_count,
            published_at=at,
            document=model.model_dump(mode="json"),
        )


def register(registry: EventRegistry) -> None:
    """Register the catalogue events."""
    registry.register(ModelPublished)
