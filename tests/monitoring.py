"""What the monitoring tests check queries against: the metrics the services really export."""

from __future__ import annotations

import functools
import re

from prometheus_client import CollectorRegistry

#: Sample suffixes each metric type exports (`_created` left out: nothing should query it).
_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("_sum", "_count", ""),
    "gauge": ("",),
    "info": ("_info",),
    "unknown": ("",),
}
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^}]*\}")
_GROUPINGS = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_RANGES = re.compile(r"\[[^\]]*\]")
_NAMES = re.compile(r"\b(dimm_[a-zA-Z0-9_]+)\b(?!\s*\()")


def sample_names(registry: CollectorRegistry) -> set[str]:
    """Return the names of every sample a registry exports."""
    found = set()
    for family in registry.collect():
        for suffix in _SUFFIXES.get(family.type, ("",)):
            found.add(family.name + suffix)
    return found


@functools.cache
def exported_by_service() -> dict[str, frozenset[str]]:
    """Build each service's app (no I/O) and return the sample names its /metrics exports."""
    from dimm.platform import SERVICES, build_service

    return {name: frozenset(sample_names(build_service(name).state.deps.registry)) for name in SERVICES}


def exported() -> frozenset[str]:
    """Return the sample names any service exports."""
    return frozenset().union(*exported_by_service().values())


def metric_names(expr: str) -> set[str]:
    """Return the platform metric names (`dimm_…`) a PromQL expression reads."""
    bare = _STRINGS.sub('""', expr)
    bare = _MATCHERS.sub("", bare)
    bare = _GROUPINGS.sub("", bare)
    bare = _RANGES.sub("", bare)
    return set(_NAMES.findall(bare))
