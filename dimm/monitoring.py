"""Where the monitoring binaries are: Prometheus, promtool, Alertmanager and amtool.

`make monitoring` extracts Debian's packages into `.tools/monitoring` (no root needed); a binary
on the PATH (an installed package) is used otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from dimm.embedded import follow_parent, stop_process

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".tools" / "monitoring" / "usr" / "bin"
RULES = ROOT / "deploy" / "prometheus" / "rules"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "tests"
ALERTMANAGER_CONFIG = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"

#: Debian names the Alertmanager binary after its package.
_ALIASES = {"alertmanager": ("prometheus-alertmanager", "alertmanager")}


def find_tool(name: str) -> Path | None:
    """Return the path of a monitoring binary (`.tools` first, then the PATH), or None."""
    for candidate in _ALIASES.get(name, (name,)):
        local = TOOLS / candidate
        if local.is_file():
            return local
        found = shutil.which(candidate)
        if found:
            return Path(found)
    return None


#: Where Debian's build of Alertmanager reads its default templates (not embedded, unlike upstream's).
DEBIAN_TEMPLATES = b"/usr/share/prometheus/alertmanager"


@contextlib.contextmanager
def runnable_alertmanager(work_dir: Path) -> Iterator[Path]:
    """Yield an Alertmanager binary that finds its default templates (or raise LookupError).

    Debian's build opens them under /usr/share/prometheus/alertmanager; `make monitoring` extracts
    the package under .tools without root, so a copy of the binary in `work_dir` gets that path
    replaced by a symbolic link of the same length to the extracted templates, removed on exit.
    An installed package (the path exists) or another build is used as it is.
    """
    found = find_tool("alertmanager")
    if found is None:
        raise LookupError("Alertmanager is not installed: run `make monitoring` (Debian's package)")
    extracted = found.parents[1] / "share" / "prometheus" / "alertmanager"
    content = found.read_bytes()
    if Path(DEBIAN_TEMPLATES.decode()).is_dir() or DEBIAN_TEMPLATES not in content or not extracted.is_dir():
        yield found
        return
    link = Path("/tmp/dimm-am-" + uuid.uuid4().hex[:21])
    assert len(bytes(link)) == len(DEBIAN_TEMPLATES)
    link.symlink_to(extracted.resolve(), target_is_directory=True)
    binary = work_dir / "alertmanager"
    binary.write_bytes(content.replace(DEBIAN_TEMPLATES, bytes(link)))
    binary.chmod(0o755)
    try:
        yield binary
    finally:
        link.unlink(missing_ok=True)


SINK_URL_IN_CONFIG = "http://alert-sink:9095/alerts"


@dataclass(frozen=True)
class MonitoringUrls:
    """Where the local monitoring answers."""

    prometheus: str
    alertmanager: str
    sink: str


def prometheus_config(
    targets: Mapping[str, str],
    *,
    alertmanager: str | None,
    scrape_interval_seconds: float = 15.0,
    rules: Path = RULES,
) -> dict[str, Any]:
    """Return a Prometheus configuration (JSON is YAML) scraping the services at `targets`.

    One job per service, named after it, with the label `service` and the service's own metrics
    path: the same shape as deploy/prometheus/prometheus.yml, so the same rules apply.
    """
    # Prometheus durations take whole units: milliseconds say any interval exactly.
    interval = f"{round(scrape_interval_seconds * 1000)}ms"
    timeout = f"{round(max(0.5, min(10.0, scrape_interval_seconds * 0.8)) * 1000)}ms"
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": interval,
            "scrape_timeout": timeout,
            "evaluation_interval": interval,
            "external_labels": {"platform": "dimm"},
        },
        "rule_files": [str(rules / "*.yml")],
        "scrape_configs": [
            {
                "job_name": service,
                "metrics_path": f"/{service}/metrics",
                "static_configs": [{"targets": [target], "labels": {"service": service}}],
            }
            for service, target in targets.items()
        ],
    }
    if alertmanager is not None:
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
    return config


def alertmanager_config_text(sink_url: str, *, source: Path = ALERTMANAGER_CONFIG) -> str:
    """Return deploy/alertmanager/alertmanager.yml with its receivers posting to `sink_url`."""
    text = source.read_text(encoding="utf-8")
    if SINK_URL_IN_CONFIG not in text:
        raise LookupError(f"{source} posts to no {SINK_URL_IN_CONFIG}: cannot point it at the local sink")
    return text.replace(SINK_URL_IN_CONFIG, sink_url)


def _spawn(command: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start a child in a session of its own that is stopped if we die (never an orphan Prometheus)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        preexec = follow_parent if sys.platform.startswith("linux") else os.setsid
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec)


def _wait_ready(
    url: str, process: subprocess.Popen[bytes], name: str, log_path: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
            raise RuntimeError(f"{name} exited with code {process.returncode}: {tail}")
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not get ready at {url} within {timeout:.0f}s (see {log_path})")


@contextlib.contextmanager
def running_prometheus(
    work_dir: Path,
    targets: Mapping[str, str],
    *,
    port: int,
    alertmanager: str | None = None,
    scrape_interval_seconds: float = 15.0,
    host: str = "127.0.0.1",
) -> Iterator[str]:
    """Run Prometheus on our rules, scraping `targets`; yield its URL (raise LookupError if absent)."""
    binary = find_tool("prometheus")
    if binary is None:
        raise LookupError("Prometheus is not installed: run `make monitoring` (Debian's package)")
    work_dir.mkdir(parents=True, exist_ok=True)
    config = work_dir / "prometheus.yml"
    config.write_text(
        json.dumps(
            prometheus_config(
                targets, alertmanager=alertmanager, scrape_interval_seconds=scrape_interval_seconds
            ),
            indent=2,
        ),
        encoding="utf-8",
    )
    log_path = work_dir / "prometheus.log"
    process = _spawn(
        [
            str(binary),
            f"--config.file={config}",
            f"--storage.tsdb.path={work_dir / 'data'}",
            f"--web.listen-address={host}:{port}",
            "--storage.tsdb.retention.time=7d",
        ],
        log_path,
    )
    url = f"http://{host}:{port}"
    try:
        _wait_ready(url, process, "Prometheus", log_path, timeout=60)
        yield url
    finally:
        stop_process(process)


@contextlib.contextmanager
def running_alertmanager(
    work_dir: Path, *, port: int, sink_url: str, host: str = "127.0.0.1"
) -> Iterator[str]:
    """Run Alertmanager on deploy/alertmanager/alertmanager.yml, posting to `sink_url`; yield its URL."""
    work_dir.mkdir(parents=True, exist_ok=True)
    config = work_dir / "alertmanager.yml"
    config.write_text(alertmanager_config_text(sink_url), encoding="utf-8")
    log_path = work_dir / "alertmanager.log"
    with runnable_alertmanager(work_dir) as binary:
        process = _spawn(
            [
                str(binary),
                f"--config.file={config}",
                f"--storage.path={work_dir / 'data'}",
                "--cluster.listen-address=",
                f"--web.listen-address={host}:{port}",
            ],
            log_path,
        )
        url = f"http://{host}:{port}"
        try:
            _wait_ready(url, process, "Alertmanager", log_path, timeout=30)
            yield url
        finally:
            stop_process(process)


def firing_alerts(prometheus: str, *, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Return the alerts Prometheus has firing now (its own alerts API)."""
    response = httpx.get(f"{prometheus}/api/v1/alerts", timeout=timeout)
    response.raise_for_status()
    alerts: list[dict[str, Any]] = response.json()["data"]["alerts"]
    return [alert for alert in alerts if alert.get("state") == "firing"]


@contextlib.contextmanager
def local_monitoring(
    data_dir: Path,
    targets: Mapping[str, str],
    *,
    prometheus_port: int = 9090,
    alertmanager_port: int = 9093,
    sink_port: int = 9095,
    scrape_interval_seconds: float = 15.0,
    host: str = "127.0.0.1",
) -> Iterator[MonitoringUrls]:
    """Run the alert sink, Alertmanager and Prometheus for `dimm up --monitoring`; yield their URLs.

    Raise LookupError when a binary is missing (`make monitoring` fetches them). Everything listens
    on `host` only and keeps its data under `data_dir/monitoring`.
    """
    from dimm.alert_sink import build_server

    for tool in ("prometheus", "alertmanager"):
        if find_tool(tool) is None:
            raise LookupError(f"{tool} is not installed: `make monitoring` fetches it (Debian's package)")
    work = data_dir / "monitoring"
    with contextlib.ExitStack() as stack:
        sink = build_server(host, sink_port, data_dir)
        thread = threading.Thread(target=sink.run, name="alert-sink", daemon=True)
        thread.start()
        stack.callback(thread.join, 10)
        stack.callback(setattr, sink, "should_exit", True)
        sink_url = f"http://{host}:{sink_port}"
        alertmanager = stack.enter_context(
            running_alertmanager(
                work / "alertmanager", port=alertmanager_port, sink_url=f"{sink_url}/alerts", host=host
            )
        )
        prometheus = stack.enter_context(
            running_prometheus(
                work / "prometheus",
                targets,
                port=prometheus_port,
                alertmanager=f"{host}:{alertmanager_port}",
                scrape_interval_seconds=scrape_interval_seconds,
                host=host,
            )
        )
        yield MonitoringUrls(prometheus=prometheus, alertmanager=alertmanager, sink=sink_url)
