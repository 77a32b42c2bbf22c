"""Builders of Grafana dashboard JSON (schema 39): panels, targets, variables, grid layout.

Every panel and target names the `$datasource` variable, so a dashboard works against whichever
Prometheus data source the viewer picks; provisioning makes `Prometheus` the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

SCHEMA_VERSION = 39
DATASOURCE: Json = {"type": "prometheus", "uid": "${datasource}"}
GRID_WIDTH = 24


@dataclass(frozen=True)
class Threshold:
    """A colour from a value upwards (`start` None: the base colour, below every other step)."""

    color: str
    start: float | None = None


def target(expr: str, legend: str = "", *, instant: bool = False, heatmap: bool = False) -> Json:
    """One Prometheus query of a panel (its refId is set when the panel is built)."""
    query: Json = {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend or "__auto"}
    if instant:
        query.update(instant=True, range=False)
    else:
        query.update(instant=False, range=True)
    if heatmap:
        query["format"] = "heatmap"
    return query


def _targets(targets: list[Json]) -> list[Json]:
    return [{**query, "refId": chr(ord("A") + n)} for n, query in enumerate(targets)]


def _thresholds(steps: list[Threshold]) -> Json:
    return {
        "mode": "absolute",
        "steps": [{"color": step.color, "value": step.start} for step in steps],
    }


@dataclass
class Panel:
    """A panel before layout: what it shows, and how much of the grid it takes."""

    json: Json
    width: int
    height: int


def stat(
    title: str,
    *,
    description: str,
    targets: list[Json],
    unit: str,
    thresholds: list[Threshold],
    width: int = 4,
    height: int = 4,
    mappings: list[Json] | None = None,
    no_value: str | None = None,
    decimals: int | None = None,
) -> Panel:
    """A single value per series, coloured by its thresholds."""
    defaults: Json = {"unit": unit, "thresholds": _thresholds(thresholds), "mappings": mappings or []}
    defaults["color"] = {"mode": "thresholds"}
    if no_value is not None:
        defaults["noValue"] = no_value
    if decimals is not None:
        defaults["decimals"] = decimals
    json: Json = {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": _targets(targets),
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "graphMode": "none",
            "textMode": "value_and_name",
            "justifyMode": "auto",
            "orientation": "auto",
        },
    }
    return Panel(json, width, height)


def timeseries(
    title: str,
    *,
    description: str,
    targets: list[Json],
    unit: str,
    thresholds: list[Threshold] | None = None,
    width: int = 12,
    height: int = 8,
    stacked: bool = False,
    minimum: float | None = 0,
) -> Panel:
    """Series over time; thresholds, when given, are drawn as dashed lines."""
    custom: Json = {
        "drawStyle": "line",
        "lineWidth": 1,
        "fillOpacity": 10,
        "showPoints": "never",
        "spanNulls": False,
        "stacking": {"mode": "normal" if stacked else "none", "group": "A"},
        "thresholdsStyle": {"mode": "dashed" if thresholds else "off"},
    }
    defaults: Json = {
        "unit": unit,
        "custom": custom,
        "color": {"mode": "palette-classic"},
        "thresholds": _thresholds(thresholds or [Threshold("green")]),
    }
    if minimum is not None:
        defaults["min"] = minimum
    json: Json = {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": _targets(targets),
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    }
    return Panel(json, width, height)


def heatmap(title: str, *, description: str, expr: str, unit: str, width: int = 12, height: int = 8) -> Panel:
    """Counts per histogram bucket over time (the query returns one series per `le`)."""
    json: Json = {
        "type": "heatmap",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": _targets([target(expr, "{{le}}", heatmap=True)]),
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {
            "calculate": False,
            "cellGap": 1,
            "color": {"mode": "scheme", "scheme": "Oranges", "scale": "exponential", "exponent": 0.5},
            "yAxis": {"unit": unit},
            "rowsFrame": {"layout": "auto"},
            "tooltip": {"mode": "single", "yHistogram": True},
            "legend": {"show": True},
        },
    }
    return Panel(json, width, height)


@dataclass
class Row:
    """A titled band of panels, laid out left to right and wrapped at the grid's width."""

    title: str
    panels: list[Panel] = field(default_factory=list)


def layout(rows: list[Row]) -> list[Json]:
    """Give every row and panel its grid position and an id unique in the dashboard."""
    placed: list[Json] = []
    y = 0
    for row in rows:
        placed.append({"type": "row", "title": row.title, "collapsed": False, "panels": []})
        placed[-1]["gridPos"] = {"x": 0, "y": y, "w": GRID_WIDTH, "h": 1}
        y += 1
        x, line_height = 0, 0
        for panel in row.panels:
            if x + panel.width > GRID_WIDTH:
                x, y, line_height = 0, y + line_height, 0
            placed.append({**panel.json, "gridPos": {"x": x, "y": y, "w": panel.width, "h": panel.height}})
            x += panel.width
            line_height = max(line_height, panel.height)
        y += line_height
    return [{"id": n, **item} for n, item in enumerate(placed, start=1)]


def datasource_variable() -> Json:
    """The `$datasource` variable: any Prometheus data source, the default one first."""
    return {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "current": {},
        "hide": 0,
        "refresh": 1,
        "regex": "",
        "options": [],
    }


def instance_variable(job: str) -> Json:
    """The `$instance` variable: the replicas of one scrape job, all of them by default."""
    query = f'label_values(up{{job="{job}"}}, instance)'
    return {
        "name": "instance",
        "label": "Instance",
        "type": "query",
        "datasource": DATASOURCE,
        "query": query,
        "definition": query,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "includeAll": True,
        "allValue": ".*",
        "multi": True,
        "refresh": 2,
        "sort": 1,
        "hide": 0,
        "regex": "",
        "options": [],
    }


def dashboard(*, uid: str, title: str, description: str, rows: list[Row], variables: list[Json]) -> Json:
    """A whole dashboard: variables, links to the other DIMM dashboards, laid-out panels."""
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["dimm"],
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "timezone": "browser",
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "links": [
            {
                "title": "DIMM dashboards",
                "type": "dashboards",
                "tags": ["dimm"],
                "asDropdown": True,
                "includeVars": False,
                "keepTime": True,
            }
        ],
        "templating": {"list": variables},
        "panels": layout(rows),
    }
