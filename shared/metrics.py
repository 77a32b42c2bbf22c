"""The Prometheus registry of a service: its own metrics plus the process and platform collectors.

prometheus_client adds a `<name>_created` gauge beside every counter and histogram (and each of
their labelled series) unless told not to; nothing reads them, Prometheus stores them all, and a
dashboard that lists a family's series sees them twice. They are turned off for the process as
soon as a service's registry is made (the switch is process-wide in the library).
"""

from __future__ import annotations

from prometheus_client import (
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.registry import CollectorRegistry


def service_registry() -> CollectorRegistry:
    """Return a new registry with the process (`process_*`) and Python (`python_*`) collectors."""
    disable_created_metrics()  # type: ignore[no-untyped-call]
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry
