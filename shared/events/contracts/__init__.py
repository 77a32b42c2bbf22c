"""Event contracts shared between services, and the registry that knows them all."""

from __future__ import annotations

from shared.events.contracts import assessment, benchmark, catalogue, partner, probe, scoring, watch
from shared.events.envelope import EventRegistry


def build_registry() -> EventRegistry:
    """Return a registry of every event contract and its upcasters."""
    registry = EventRegistry()
    probe.register(registry)
    catalogue.register(registry)
    assessment.register(registry)
    scoring.register(registry)
    benchmark.register(registry)
    watch.register(registry)
    partner.register(registry)
    return registry
