"""The alert rules: valid for promtool, each shown firing and not firing, reading real metrics."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from dimm.monitoring import RULE_TESTS, RULES, find_tool
from dimm.platform import SERVICES
from tests.monitoring import PROMETHEUS_OWN, exported_by_any, metric_names, unknown_labels

RULE_FILES = sorted(RULES.glob("*.yml"))
TEST_FILES = sorted(RULE_TESTS.glob("*.yml"))
SEVERITIES = {"page", "ticket"}


def _rules() -> list[dict[str, Any]]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def _alerts() -> list[dict[str, Any]]:
    return [rule for rule in _rules() if "alert" in rule]


def _promtool() -> Path:
    tool = find_tool("promtool")
    if tool is None:
        pytest.skip("promtool not found: `make monitoring` fetches it (Debian's prometheus package)")
    return tool


def test_rule_and_test_files_exist() -> None:
    assert {p.name for p in RULE_FILES} >= {"services.yml", "messaging.yml", "work.yml", "slo.yml"}
    assert len(TEST_FILES) >= len(RULE_FILES)


def test_promtool_checks_every_rule_file() -> None:
    result = subprocess.run(
        [str(_promtool()), "check", "rules", *map(str, RULE_FILES)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass() -> None:
    result = subprocess.run(
        [str(_promtool()), "test", "rules", *map(str, TEST_FILES)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(TEST_FILES)


def test_a_broken_expectation_fails_promtool(tmp_path: Path) -> None:
    """The unit tests can fail: the same test with the alert expected earlier does."""
    original = yaml.safe_load((RULE_TESTS / "services_test.yml").read_text())
    original["rule_files"] = [str(RULES / "services.yml")]
    for test in original["tests"]:
        for case in test["alert_rule_test"]:
            if case["exp_alerts"]:
                case["eval_time"] = "1m"  # before the `for` has elapsed
    broken = tmp_path / "broken_test.yml"
    broken.write_text(yaml.safe_dump(original))
    result = subprocess.run([str(_promtool()), "test", "rules", str(broken)], capture_output=True, text=True)
    assert result.returncode != 0


def test_every_alert_is_shown_firing_and_not_firing() -> None:
    firing, quiet = set(), set()
    for path in TEST_FILES:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case["exp_alerts"] else quiet).add(case["alertname"])
    names = {rule["alert"] for rule in _alerts()}
    assert names - firing == set(), "alerts never shown firing"
    assert names - quiet == set(), "alerts never shown quiet"


def test_every_alert_says_how_urgent_it_is_and_what_to_do() -> None:
    for rule in _alerts():
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        annotations = rule["annotations"]
        assert {"summary", "description", "runbook"} <= set(annotations), rule["alert"]
        assert len(annotations["runbook"]) > 40, rule["alert"]


def test_the_issue_s_alerts_exist() -> None:
    names = {rule["alert"] for rule in _alerts()}
    assert names >= {
        "ServiceDown",
        "ServiceNotReady",
        "ProbeStale",
        "ConsumerLagGrowing",
        "ConsumerStalled",
        "DeadLettersIncreasing",
        "OutboxBacklogOld",
        "ScoringFailures",
        "SchedulerJobStale",
        "WebhookDeliveriesExhausted",
        "WebhookEndpointDisabled",
        "HttpErrorBudgetBurn",
        "ScoringLatencyBudgetBurn",
    }


def test_burn_rate_alerts_follow_the_sre_workbook_windows() -> None:
    burns = [r for r in _alerts() if r["alert"].endswith("BudgetBurn")]
    tiers = {(r["alert"], r["labels"]["window"], r["labels"]["severity"]) for r in burns}
    for name in ("HttpErrorBudgetBurn", "ScoringLatencyBudgetBurn"):
        assert {(w, s) for n, w, s in tiers if n == name} == {
            ("1h", "page"),
            ("6h", "page"),
            ("3d", "ticket"),
        }
    for rule in burns:
        long_, short = {"1h": ("1h", "5m"), "6h": ("6h", "30m"), "3d": ("3d", "6h")}[rule["labels"]["window"]]
        assert f"ratio_rate{long_} >" in rule["expr"], rule["alert"]
        assert f"ratio_rate{short} >" in rule["expr"], rule["alert"]


def test_rules_read_only_metrics_the_services_export() -> None:
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    available = exported_by_any() | PROMETHEUS_OWN | recorded
    used = {name for rule in _rules() for name in metric_names(rule["expr"])}
    assert any(name.startswith("dimm_") for name in used), (
        "no platform metric found: the extraction is broken"
    )
    assert used - available == set()


def test_rules_match_only_labels_the_metrics_have() -> None:
    """A matcher on a label the metric lacks selects nothing, silently: an alert that cannot fire."""
    unknown = {label for rule in _rules() for label in unknown_labels(rule["expr"], SERVICES)}
    assert unknown == set()


def test_the_label_check_sees_a_renamed_label() -> None:
    expr = (
        'sum(rate(dimm_http_requests_total{status=~"5..",route!~".*/x"}[5m])) / dimm_dependency_up{job="a"}'
    )
    assert unknown_labels(expr, SERVICES) == {"dimm_http_requests_total:status"}
    grouped = "sum by (route, status) (rate(dimm_http_requests_total[5m]))"
    assert unknown_labels(grouped, SERVICES) == {"by:status"}


def test_the_metric_name_extraction_sees_through_promql() -> None:
    expr = 'sum by (service) (rate(dimm_a_total{route!~".*/(dimm_b)"}[5m])) / on (dimm_c) dimm_d'
    assert metric_names(expr) == {"dimm_a_total", "dimm_d"}
