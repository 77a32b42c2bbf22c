"""Partners' own Kafka topics, provisioned through the service runtime's topic guard."""

from __future__ import annotations

from typing import Any

from shared.events.contracts.partner import partner_topic
from shared.messaging.topics import TopicSpec
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings


class RuntimePartnerTopics:
    """Provision `dimm.partner.<id>.events` with the platform's partitions and retention."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        self.runtime: ServiceRuntime[Any] | None = None  # set once the runtime exists

    def spec(self, partner_id: str) -> TopicSpec:
        """Describe a partner's topic."""
        return TopicSpec(
            partner_topic(partner_id), self._settings.topic_partitions, self._settings.topic_retention_hours
        )

    async def ensure(self, partner_id: str) -> None:
        """Make sure the partner's topic exists (and stays), before any event is staged for it."""
        await self.ensure_many([partner_id])

    async def ensure_many(self, partner_ids: list[str]) -> None:
        """Make sure several partners' topics exist (at start-up, for the partners already known)."""
        if self.runtime is None:
            raise RuntimeError("partner topics need the service runtime")
        if partner_ids:
            await self.runtime.ensure_topics([self.spec(p) for p in partner_ids])
