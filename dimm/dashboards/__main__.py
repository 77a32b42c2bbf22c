"""python -m dimm.dashboards: write the dashboards' JSON into deploy/grafana/dashboards/."""

from __future__ import annotations

from dimm.dashboards import write

if __name__ == "__main__":
    for path in write():
        print(path)
