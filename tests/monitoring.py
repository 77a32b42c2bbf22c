"""What the monitoring tests check queries against: the metrics the services really export.

The alert rules and the dashboards are both checked with these: a PromQL expression's metric
names, and the sample names each service's registry exports (built without starting, no I/O).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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
#: Labels Prometheus gives every series of a target (never one of ours), and histograms' bucket bound.
TARGET_LABELS = frozenset({"job", "instance", "service", "__name__"})
SELECTOR = re.compile(r"(?<![\w:])(?P<name>[A-Za-z_:][\w:]*)\s*\{(?P<matchers>[^}]*)\}")
AGGREGATION_LABELS = re.compile(r"\b(?:by|without)\s*\((?P<labels>[^)]*)\)")
MATCHER = re.compile(r"(?P<label>[A-Za-z_]\w*)\s*(?:=~|!~|!=|=)")
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


@cache
def label_names(name: str) -> dict[str, frozenset[str]]:
    """Each sample name a service exports with the label names its series carry (`le` on buckets)."""
    found: dict[str, frozenset[str]] = {}
    # prometheus_client keeps a metric's label names on the metric; the registry lists its metrics.
    for collector in list(registry_of(name)._collector_to_names):
        base, kind = getattr(collector, "_name", None), getattr(collector, "_type", None)
        labels = frozenset(getattr(collector, "_labelnames", ()))
        if base is None or kind is None:
            continue
        for suffix in _SUFFIXES.get(kind, ("",)):
            found[base + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return found


def unknown_labels(expr: str, services: Iterable[str]) -> set[str]:
    """`metric:label` for each label a selector matches on that the metric does not have, and `by:label`
    for each label an aggregation keeps that none of the metrics it reads has."""
    known: dict[str, frozenset[str]] = {}
    for service in services:
        for sample, labels in label_names(service).items():
            known[sample] = known.get(sample, frozenset()) | labels
    unknown = set()
    text = STRING.sub('""', expr)
    read = metric_names(expr)
    if read and read <= set(known):
        # An aggregation keeps (or drops) labels of what it reads: one none of them has is a typo.
        carried = frozenset().union(*(known[name] for name in read)) | TARGET_LABELS | {"le"}
        for grouping in AGGREGATION_LABELS.finditer(text):
            listed = {label.strip() for label in grouping["labels"].split(",") if label.strip()}
            unknown |= {f"by:{label}" for label in listed - carried}
    # Strings blanked first: a matcher's value may hold anything, braces included.
    for selector in SELECTOR.finditer(text):
        labels = known.get(selector["name"])
        if labels is None:
            continue
        for matcher in MATCHER.finditer(selector["matchers"]):
            if matcher["label"] not in labels | TARGET_LABELS:
                unknown.add(f"{selector['name']}:{matcher['label']}")
    return unknown
