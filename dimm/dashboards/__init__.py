"""Grafana dashboards of the platform, written as JSON into deploy/grafana/dashboards/.

The JSON is generated (`python -m dimm.dashboards`), so the queries are written once; a test
checks the files match this code, that every query parses and that it reads exported metrics.
"""

from __future__ import annotations

import json
from pathlib import Path

from dimm.dashboards.grafana import Json
from dimm.dashboards.overview import overview
from dimm.dashboards.service import service_dashboard
from shared.messaging.topics import SERVICES

DASHBOARDS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards"


def render() -> dict[str, Json]:
    """Return every dashboard by its file name."""
    dashboards = {"overview.json": overview()}
    dashboards.update({f"{name}.json": service_dashboard(name) for name in SERVICES})
    return dashboards


def dump(dashboard: Json) -> str:
    """Serialise a dashboard as its file holds it."""
    return json.dumps(dashboard, indent=2, ensure_ascii=False) + "\n"


def write(directory: Path = DASHBOARDS_DIR) -> list[Path]:
    """Write every dashboard into the directory; return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, dashboard in render().items():
        path = directory / name
        path.write_text(dump(dashboard), encoding="utf-8")
        written.append(path)
    return written
