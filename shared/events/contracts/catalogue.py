"""Events of the model catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.events.envelope import Event, EventRegistry, with_example
from shared.model.schema import MaturityModel

MODEL_EXAMPLE: dict[str, Any] = {
    "model_id": "dimm",
    "version": "2.0.0",
    "content_hash": "sha256:2a78f3388c820c82ddf49bcc1ac08fce55cfc27bb41facecdf2bc7713367e52e",
    "title": "DIMM — Digital Internet Maturity Model (édition de référence)",
    "indicator_count": 115,
    "published_at": "2026-11-20T08:00:00Z",
    # Abridged: the real document carries its 18 sectors, profiles and 6 levers down to the criteria.
    "document": {
        "model_id": "dimm",
        "version": "2.0.0",
        "title": "DIMM — Digital Internet Maturity Model (édition de référence)",
        "locale": "fr-FR",
        "sectors": [],
        "profiles": [],
        "levers": [],
    },
}


class ModelPublished(Event):
    """Emitted by assessment when a model version is published; carries the full document."""

    model_config = with_example(MODEL_EXAMPLE)
    event_type = "dimm.assessment.model.published.v1"
    subject_template = "{model_id}"

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
