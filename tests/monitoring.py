"""What the monitoring tests check queries against: the metrics the services really export.

The alert rules and the dashboards are both checked with these: a PromQL expression's metric
names, and the sample names each service's registry exports (built without starting, no I/O).
"""

from __future__ import annotations

import re
from functools import cache

from prometheus_client import CollectorRegistry

from dimm.platform import SERVICES, build_service

#: What Prometheus makes itself, with no service exporting it.
PROMETHEUS_OWN = frozenset({"up"})
PROMQL_WORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless"}
    | {"offset", "inf", "nan"}
)
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
#: An identifier not followed by `(` (a function or an aggregation), not inside a number.
IDENTIFIER = re.compile(r"(?<![\w:.])[A-Za-z_:][\w:]*(?![\w:])(?!\s*\()")
#: Sample suffixes each metric type exports (`_created` left out: nothing should query it).
_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
}


def metric_names(expr: str) -> set[str]:
    """The metric names a query reads: identifiers outside strings, matchers, ranges and groupings."""
    text = STRING.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = GROUPING.sub(" ", text)
    return {name for name in IDENTIFIER.findall(text) if name.lower() not in PROMQL_WORDS}


@cache
def registry_of(name: str) -> CollectorRegistry:
    """The registry of a service's app, built without starting it (no I/O)."""
    app = build_service(name, environment="development")
    registry: CollectorRegistry = app.state.deps.registry
    return registry


@cache
def exported(name: str) -> frozenset[str]:
    """The sample names Prometheus stores from a service (labelled families have no samples yet)."""
    names: set[str] = set()
    for family in registry_of(name).collect():
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples if not sample.name.endswith("_created"))
    return frozenset(names)


def exported_by_any() -> frozenset[str]:
    """The sample names any service exports."""
    return frozenset().union(*(exported(name) for name in SERVICES))
