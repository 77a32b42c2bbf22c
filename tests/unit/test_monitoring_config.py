"""The local monitoring's configurations: what `dimm up --monitoring` and the tests run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from dimm.monitoring import (
    ALERTMANAGER_CONFIG,
    RULES,
    SINK_URL_IN_CONFIG,
    alertmanager_config_text,
    find_tool,
    prometheus_config,
)
from dimm.platform import SERVICES

TARGETS = {name: "127.0.0.1:18000" for name in SERVICES}


def test_one_job_per_service_with_its_metrics_path_and_service_label() -> None:
    config = prometheus_config(TARGETS, alertmanager="127.0.0.1:9093", scrape_interval_seconds=1.5)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == set(SERVICES)
    for name, job in jobs.items():
        assert job["metrics_path"] == f"/{name}/metrics"
        assert job["static_configs"] == [{"targets": ["127.0.0.1:18000"], "labels": {"service": name}}]
    assert config["global"]["scrape_interval"] == "1500ms"
    assert config["rule_files"] == [str(RULES / "*.yml")]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["127.0.0.1:9093"]
    assert "alerting" not in prometheus_config(TARGETS, alertmanager=None)


def test_promtool_accepts_the_configuration_and_its_rules(tmp_path: Path) -> None:
    promtool = find_tool("promtool")
    if promtool is None:
        pytest.skip("promtool not found: `make monitoring` fetches it")
    path = tmp_path / "prometheus.yml"
    path.write_text(json.dumps(prometheus_config(TARGETS, alertmanager="127.0.0.1:9093")))
    result = subprocess.run([str(promtool), "check", "config", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rules found" in result.stdout


def test_every_receiver_of_the_alertmanager_file_posts_to_the_local_sink(tmp_path: Path) -> None:
    text = alertmanager_config_text("http://127.0.0.1:19095/alerts")
    assert SINK_URL_IN_CONFIG not in text
    assert text.count("http://127.0.0.1:19095/alerts") == ALERTMANAGER_CONFIG.read_text().count(
        SINK_URL_IN_CONFIG
    )
    amtool = find_tool("amtool")
    if amtool is None:
        pytest.skip("amtool not found: `make monitoring` fetches it")
    path = tmp_path / "alertmanager.yml"
    path.write_text(text)
    result = subprocess.run([str(amtool), "check-config", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
