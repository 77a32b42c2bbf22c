"""Service processes of the end-to-end tests: kill one the hard way, stop all the soft way."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dimm.embedded import free_port, start_service, wait_ready
from shared.auth import generate_key_pair
from tests.stack import Backend

TOKEN = "e2e-operator-token-" + uuid.uuid4().hex
PRIVATE_KEY, PUBLIC_KEY = generate_key_pair()


def kill(process: subprocess.Popen[bytes]) -> None:
    """Kill a process with SIGKILL, as a crash would, and reap it."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def stop_all(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    """Ask every process to stop, then kill those that do not within 15 s."""
    running = list(processes)
    for process in running:
        if process.poll() is None:
            process.terminate()
    for process in running:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Platform:
    """Four service processes on the embedded stack."""

    backend: Backend
    log_dir: Path
    run_id: str
    ports: dict[str, int] = field(default_factory=dict)
    #: Where each service serves /<service>/metrics (its public port answers 404 there).
    metrics_ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def database(self, service: str) -> str:
        return f"e2e_{self.run_id}_{service}"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, service: str, **settings: str) -> None:
        """Start a service process; `settings` are extra environment variables."""
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.backend.kafka_bootstrap_servers,
            "MONGODB_URL": self.backend.mongodb_url,
            "DIMM_ENVIRONMENT": "test",
            "DIMM_ASSESSMENT_ADMIN_TOKEN": TOKEN,
            "DIMM_ASSESSMENT_JWT_PRIVATE_KEY": PRIVATE_KEY,
            "DIMM_JWT_PUBLIC_KEY": PUBLIC_KEY,
            f"DIMM_{service.upper()}_MONGODB_DATABASE": self.database(service),
            **settings,
        }
        port = self.ports.setdefault(service, free_port())
        metrics_port = self.metrics_ports.setdefault(service, free_port())
        log = open(self.log_dir / f"{service}.log", "ab")  # noqa: SIM115 - kept open for the child
        self.processes[service] = start_service(
            service, port=port, env=env, log=log, metrics_port=metrics_port
        )

    def metrics_target(self, service: str) -> str:
        """Return where Prometheus scrapes the service (host:port of its metrics server)."""
        return f"127.0.0.1:{self.metrics_ports[service]}"

    def wait_ready(self, service: str) -> None:
        wait_ready(self.url(service), service, process=self.processes[service])

    def kill(self, service: str) -> None:
        kill(self.processes[service])

    def stop_all(self) -> None:
        stop_all(self.processes.values())
