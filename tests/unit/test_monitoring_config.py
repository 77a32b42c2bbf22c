"""The local monitoring's configurations: what `dimm up --monitoring` and the tests run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
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


def test_prometheus_does_not_outlive_the_process_that_started_it(tmp_path: Path) -> None:
    """A killed `dimm up` or benchmark leaves no Prometheus behind (the parent-death signal)."""
    if find_tool("prometheus") is None:
        pytest.skip("Prometheus not found: `make monitoring` fetches it")
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from dimm.embedded import free_port\n"
        "from dimm.monitoring import running_prometheus\n"
        f"with running_prometheus(Path({str(tmp_path)!r}), {{}}, port=free_port()):\n"
        "    children = os.popen(f'pgrep -P {os.getpid()}').read().split()\n"
        "    print(children[0], flush=True)\n"
        "    time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    prometheus = int(parent.stdout.readline())
    parent.kill()  # SIGKILL: no cleanup code runs in the parent
    parent.wait(timeout=10)
    deadline = time.monotonic() + 15
    while _running(prometheus) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _running(prometheus), "Prometheus outlived the process that started it"


def _running(pid: int) -> bool:
    """A process that exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (FileNotFoundError, IndexError):
        return False
