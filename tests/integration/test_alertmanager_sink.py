"""The real Alertmanager, on deploy/alertmanager/alertmanager.yml, notifying the operator's sink.

Only the sink's address and the waits are changed in the configuration (seconds instead of
minutes); the routes and the inhibitions are the file's own.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from dimm.alert_sink import ALERTS_FILE, build_server
from dimm.embedded import free_port
from dimm.monitoring import ALERTMANAGER_CONFIG, find_tool, runnable_alertmanager

ALERTMANAGER = find_tool("alertmanager")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        ALERTMANAGER is None, reason="Alertmanager is not installed: run `make monitoring` (Debian's package)"
    ),
]
#: Every timing of every route, in seconds, so a notification comes within a second or two.
QUICK = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}
DEADLINE_SECONDS = 20.0
#: How long a notification that should not come is waited for, once its group has been flushed.
QUIET_SECONDS = 3.0


@dataclass(frozen=True)
class Received:
    """One alert of one notification the sink received."""

    receiver: str
    status: str
    alertname: str
    service: str


@dataclass(frozen=True)
class Sink:
    url: str
    data_dir: Path

    def received(self) -> list[Received]:
        """Every alert the sink has received so far, in order (a line being written is left out)."""
        path = self.data_dir / ALERTS_FILE
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        received = []
        for line in text.splitlines(keepends=True):
            if not line.endswith("\n"):
                break
            notification = json.loads(line)["notification"]
            for alert in notification["alerts"]:
                labels = alert["labels"]
                received.append(
                    Received(
                        notification["receiver"], alert["status"], labels["alertname"], labels["service"]
                    )
                )
        return received


def until(condition: Callable[[], bool], what: str, *, timeout: float = DEADLINE_SECONDS) -> None:
    """Poll a condition until it holds, failing with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"after {timeout:.0f} s: {what}")
        time.sleep(0.1)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[Sink]:
    """Serve the alert sink on 127.0.0.1 from a thread."""
    port = free_port()
    server = build_server("127.0.0.1", port, tmp_path / "sink", token="integration-token")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    until(lambda: server.started, "the alert sink did not start", timeout=10)
    yield Sink(f"http://127.0.0.1:{port}/alerts", tmp_path / "sink")
    server.should_exit = True
    thread.join(timeout=10)


def derived_config(sink: Sink) -> dict[str, Any]:
    """Return the repository's configuration with the sink's address and quick timings."""
    config: dict[str, Any] = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
    for route in (config["route"], *config["route"].get("routes", [])):
        for key in QUICK.keys() & route.keys():
            route[key] = QUICK[key]
    for receiver in config["receivers"]:
        for webhook in receiver.get("webhook_configs", []):
            webhook["url"] = sink.url
            webhook["http_config"] = {"authorization": {"credentials": "integration-token"}}
    return config


@pytest.fixture
def alertmanager_binary(tmp_path: Path) -> Iterator[Path]:
    """Return an Alertmanager binary that finds its default templates."""
    with runnable_alertmanager(tmp_path) as binary:
        yield binary


@pytest.fixture
def alertmanager(sink: Sink, alertmanager_binary: Path, tmp_path: Path) -> Iterator[str]:
    """Run the real Alertmanager on a free port, notifying the sink; return its URL."""
    config_file = tmp_path / "alertmanager.yml"
    config_file.write_text(yaml.safe_dump(derived_config(sink)), encoding="utf-8")
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("wb")
    process = subprocess.Popen(
        [
            str(alertmanager_binary),
            f"--config.file={config_file}",
            f"--storage.path={tmp_path / 'data'}",
            "--cluster.listen-address=",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        until(lambda: process.poll() is not None or ready(url), "Alertmanager did not get ready", timeout=30)
        if process.poll() is not None:
            pytest.fail(f"Alertmanager exited: {(tmp_path / 'alertmanager.log').read_text()}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def an_alert(name: str, service: str, severity: str, *, resolved: bool = False) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    alert: dict[str, Any] = {
        "labels": {"alertname": name, "service": service, "severity": severity},
        "annotations": {"summary": f"{name} on {service}"},
        "startsAt": now,
    }
    if resolved:
        alert["endsAt"] = now
    return alert


def post(alertmanager: str, *alerts: dict[str, Any]) -> None:
    response = httpx.post(f"{alertmanager}/api/v2/alerts", json=list(alerts), timeout=5)
    assert response.status_code == 200, response.text


SCORING_DOWN = Received("operator-page", "firing", "ServiceDown", "scoring")
SCORING_DEAD_LETTERS = Received("operator-ticket", "firing", "DeadLettersIncreasing", "scoring")
WATCH_DEAD_LETTERS = Received("operator-ticket", "firing", "DeadLettersIncreasing", "watch")


class TestAServiceDownSilencesItsOtherAlerts:
    def test_the_page_arrives_its_services_ticket_waits_another_services_ticket_arrives(
        self, alertmanager: str, sink: Sink
    ) -> None:
        post(alertmanager, an_alert("ServiceDown", "scoring", "page"))
        until(lambda: SCORING_DOWN in sink.received(), "the ServiceDown page never reached the sink")

        post(
            alertmanager,
            an_alert("DeadLettersIncreasing", "scoring", "ticket"),
            an_alert("DeadLettersIncreasing", "watch", "ticket"),
        )
        until(lambda: WATCH_DEAD_LETTERS in sink.received(), "the watch's ticket never reached the sink")
        time.sleep(QUIET_SECONDS)  # several group intervals: an uninhibited ticket would be here
        assert SCORING_DEAD_LETTERS not in sink.received()

        # The control: once scoring is back, its ticket is no longer held back.
        post(alertmanager, an_alert("ServiceDown", "scoring", "page", resolved=True))
        until(
            lambda: SCORING_DEAD_LETTERS in sink.received(),
            "the scoring ticket did not arrive once ServiceDown resolved",
        )
        resolved = Received("operator-page", "resolved", "ServiceDown", "scoring")
        until(lambda: resolved in sink.received(), "the ServiceDown resolution never reached the sink")
