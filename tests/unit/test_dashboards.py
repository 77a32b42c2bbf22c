"""The Grafana dashboards (deploy/grafana/dashboards) show what the services really export.

Every query must parse (promtool checks them as recording rules) and read only metrics the
services' registries declare, as Prometheus stores them (`_total`, `_bucket`, `_sum`, `_count`).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from dimm.dashboards import dump, render
from dimm.monitoring import find_tool
from dimm.platform import SERVICES
from tests.monitoring import PROMETHEUS_OWN, exported, metric_names, registry_of, unknown_labels

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS_DIR = ROOT / "deploy" / "grafana" / "dashboards"
SERVICE_NAMES = sorted(SERVICES)
#: File name → the service it shows (None: every service).
EXPECTED = {"overview.json": None} | {f"{name}.json": name for name in SERVICE_NAMES}
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}

#: Grafana's own variables, replaced by durations of the same kind before promtool reads a query.
BUILT_IN = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}
VARIABLE = re.compile(r"\$\{(?P<braced>\w+)(?::\w+)?\}|\$(?P<bare>\w+)")
BUCKET_BOUND = re.compile(r'(?P<metric>\w+)_bucket\{[^}]*\ble="(?P<le>[^"]+)"')

COMMON = {
    "up",
    "dimm_http_requests_total",
    "dimm_http_request_duration_seconds_bucket",
    "dimm_dependency_up",
    "dimm_consumer_lag_records",
    "dimm_dead_letters_total",
    "dimm_outbox_oldest_pending_age_seconds",
}
EVENTS = {
    "dimm_consumer_events_total",
    "dimm_consumer_batch_seconds_bucket",
    "dimm_consumer_parked_events",
    "dimm_outbox_pending_events",
    "dimm_outbox_published_total",
}
SCHEDULER = {"dimm_scheduler_job_last_success_timestamp_seconds", "dimm_scheduler_job_runs_total"}
PROBES = {"dimm_probe_round_trip_seconds_bucket", "dimm_probe_last_answer_timestamp_seconds"}
SCORING_LATENCY = {
    "dimm_diagnostic_scoring_latency_seconds_bucket",
    "dimm_diagnostic_scoring_latency_seconds_count",
}
KEY_METRICS = {
    "overview.json": COMMON | PROBES | SCORING_LATENCY,
    "assessment.json": COMMON
    | EVENTS
    | PROBES
    | SCORING_LATENCY
    | SCHEDULER
    | {"dimm_diagnostic_scoring_failures_total"},
    "scoring.json": COMMON | EVENTS,
    "benchmark.json": COMMON | EVENTS | SCHEDULER,
    "watch.json": COMMON
    | EVENTS
    | SCHEDULER
    | {
        "dimm_webhook_attempts_total",
        "dimm_webhook_deliveries_total",
        "dimm_webhook_endpoints_disabled_total",
        "dimm_emails_total",
    },
}


# --- reading the dashboards and the registries -------------------------------------------------


@cache
def dashboards() -> dict[str, dict[str, Any]]:
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(DASHBOARDS_DIR.glob("*.json"))
    }


def all_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, rows included, and the panels a collapsed row holds."""
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def query_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in all_panels(dashboard) if panel["type"] != "row"]


def expressions(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in query_panels(dashboard) for target in panel.get("targets", [])]


def as_recorded(expr: str) -> str:
    """Replace Grafana's variables: built-in ones by durations, ours by a regex matching anything."""

    def value(match: re.Match[str]) -> str:
        name = match["braced"] or match["bare"]
        return BUILT_IN.get(name, ".*")

    return VARIABLE.sub(value, expr)


def allowed_for(file_name: str) -> frozenset[str]:
    service = EXPECTED[file_name]
    names = [service] if service else SERVICE_NAMES
    return PROMETHEUS_OWN.union(*(exported(name) for name in names))


# --- the files ---------------------------------------------------------------------------------


class TestTheDashboardSet:
    def test_there_is_an_overview_and_one_dashboard_per_service(self) -> None:
        assert set(dashboards()) == set(EXPECTED)

    def test_the_files_are_what_the_generator_writes(self) -> None:
        generated = render()
        assert set(generated) == set(dashboards())
        for name, dashboard in generated.items():
            text = (DASHBOARDS_DIR / name).read_text(encoding="utf-8")
            assert text == dump(dashboard), (
                f"{name} differs from dimm.dashboards: run python -m dimm.dashboards"
            )

    def test_uids_are_stable_and_unique(self) -> None:
        uids = {name: dashboard["uid"] for name, dashboard in dashboards().items()}
        assert uids == {name: f"dimm-{name.removesuffix('.json')}" for name in EXPECTED}

    def test_every_dashboard_is_a_current_schema_tagged_dimm(self) -> None:
        for name, dashboard in dashboards().items():
            assert 36 <= dashboard["schemaVersion"] <= 41, name
            assert "dimm" in dashboard["tags"], name
            assert dashboard["title"], name


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
class TestEachDashboard:
    def test_panel_ids_are_unique(self, file_name: str) -> None:
        ids = [panel["id"] for panel in all_panels(dashboards()[file_name])]
        assert len(ids) == len(set(ids))

    def test_it_has_panels(self, file_name: str) -> None:
        assert len(query_panels(dashboards()[file_name])) >= 10

    def test_every_panel_queries_the_datasource_variable(self, file_name: str) -> None:
        for panel in query_panels(dashboards()[file_name]):
            assert panel.get("datasource") == DATASOURCE, panel["title"]
            assert panel.get("targets"), f"{panel['title']} has no query"
            for target in panel["targets"]:
                assert target.get("datasource", DATASOURCE) == DATASOURCE, panel["title"]
                assert target.get("expr", "").strip(), panel["title"]
            ref_ids = [target["refId"] for target in panel["targets"]]
            assert len(ref_ids) == len(set(ref_ids)), panel["title"]

    def test_every_panel_says_what_a_bad_value_means_and_has_a_unit(self, file_name: str) -> None:
        for panel in query_panels(dashboards()[file_name]):
            assert len(panel.get("description", "")) > 40, panel["title"]
            assert panel["fieldConfig"]["defaults"].get("unit"), panel["title"]

    def test_panels_fit_the_grid_without_overlapping(self, file_name: str) -> None:
        taken: set[tuple[int, int]] = set()
        for panel in all_panels(dashboards()[file_name]):
            pos = panel["gridPos"]
            assert pos["x"] >= 0, panel["title"]
            assert pos["x"] + pos["w"] <= 24, panel["title"]
            cells = {
                (x, y)
                for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])
            }
            assert not cells & taken, f"{panel['title']} overlaps another panel"
            taken |= cells

    def test_the_datasource_variable_picks_a_prometheus(self, file_name: str) -> None:
        variables = {v["name"]: v for v in dashboards()[file_name]["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == "prometheus"

    def test_every_variable_a_query_uses_is_defined(self, file_name: str) -> None:
        dashboard = dashboards()[file_name]
        defined = {v["name"] for v in dashboard["templating"]["list"]} | set(BUILT_IN)
        for expr in expressions(dashboard):
            used = {m["braced"] or m["bare"] for m in VARIABLE.finditer(expr)}
            assert used <= defined, f"{sorted(used - defined)} undefined in {expr}"

    def test_it_reads_only_metrics_the_services_export(self, file_name: str) -> None:
        allowed = allowed_for(file_name)
        for expr in expressions(dashboards()[file_name]):
            names = metric_names(expr)
            assert names, f"no metric found in {expr}"
            assert names <= allowed, f"{sorted(names - allowed)} not exported, in {expr}"

    def test_it_matches_and_groups_only_by_labels_the_metrics_have(self, file_name: str) -> None:
        for expr in expressions(dashboards()[file_name]):
            assert unknown_labels(expr, SERVICE_NAMES) == set(), expr

    def test_it_shows_the_key_metrics_of_what_it_covers(self, file_name: str) -> None:
        used = set().union(*(metric_names(expr) for expr in expressions(dashboards()[file_name])))
        missing = KEY_METRICS[file_name] - used
        assert not missing, f"{file_name} does not show {sorted(missing)}"

    def test_bucket_bounds_in_queries_are_bounds_the_histogram_has(self, file_name: str) -> None:
        for expr in expressions(dashboards()[file_name]):
            for match in BUCKET_BOUND.finditer(expr):
                bounds = {
                    sample.labels["le"]
                    for name in SERVICE_NAMES
                    for family in registry_of(name).collect()
                    if family.name == match["metric"]
                    for sample in family.samples
                    if sample.name.endswith("_bucket")
                }
                assert match["le"] in bounds, (
                    f"le={match['le']} is not a bucket of {match['metric']}: {bounds}"
                )


@pytest.mark.parametrize("name", SERVICE_NAMES)
class TestEachServiceDashboard:
    def test_it_filters_by_the_service_job_and_the_instance_variable(self, name: str) -> None:
        dashboard = dashboards()[f"{name}.json"]
        (instance,) = [v for v in dashboard["templating"]["list"] if v["name"] == "instance"]
        assert f'up{{job="{name}"}}' in instance["query"]
        for expr in expressions(dashboard):
            selectors = re.findall(r"\{([^}]*)\}", expr)
            assert selectors, expr
            for selector in selectors:
                assert f'job="{name}"' in selector, expr
                assert 'instance=~"$instance"' in selector, expr


# --- promtool ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def promtool() -> Path:
    tool = find_tool("promtool")
    if tool is None:
        pytest.skip(
            "promtool not found: `make monitoring` (or `sh deploy/fetch-monitoring.sh .tools/monitoring`)"
        )
    return tool


class TestEveryQueryParses:
    def test_the_variable_substitution_leaves_no_variable(self) -> None:
        for dashboard in dashboards().values():
            for expr in expressions(dashboard):
                assert "$" not in as_recorded(expr), expr

    def test_promtool_accepts_every_query_as_a_recording_rule(self, promtool: Path, tmp_path: Path) -> None:
        exprs = sorted({expr for d in dashboards().values() for expr in expressions(d)})
        rules = [
            {"record": f"dashboard:check:{n}", "expr": as_recorded(expr)} for n, expr in enumerate(exprs)
        ]
        rule_file = tmp_path / "dashboards.yml"
        rule_file.write_text(
            yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}), encoding="utf-8"
        )
        result = subprocess.run(
            [str(promtool), "check", "rules", str(rule_file)], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"{len(rules)} rules found" in result.stdout

    def test_promtool_refuses_a_broken_query(self, promtool: Path, tmp_path: Path) -> None:
        # The check above would pass on anything if promtool did not read the expressions.
        rule = {"record": "dashboard:check:0", "expr": "sum by (le (rate(x[5m]))"}
        rule_file = tmp_path / "broken.yml"
        rule_file.write_text(
            yaml.safe_dump({"groups": [{"name": "broken", "rules": [rule]}]}), encoding="utf-8"
        )
        result = subprocess.run(
            [str(promtool), "check", "rules", str(rule_file)], capture_output=True, text=True, timeout=60
        )
        assert result.returncode != 0


class TestTheMetricNameReader:
    def test_it_keeps_metrics_and_drops_functions_labels_and_keywords(self) -> None:
        expr = (
            'histogram_quantile(0.99, sum by (service, le) (rate(x_bucket{job=~"a|b", le="30.0"}[5m]))) '
            "/ on (service) group_left (job) (y_total > bool 0) or time() - z offset 1h * 1e-9"
        )
        assert metric_names(expr) == {"x_bucket", "y_total", "z"}
