"""Start the real Kafka-protocol and Mongo-wire servers the integration tests run on."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dimm.embedded import free_port, start_secantus, start_tansu, stop_process, wait_for_port


@dataclass(frozen=True)
class Backend:
    """Where a test's broker and database answer."""

    name: str
    kafka_bootstrap_servers: str
    mongodb_url: str


@contextlib.contextmanager
def embedded_backend() -> Iterator[Backend]:
    """Run Tansu and SecantusDB (on disk, in a temporary directory) for a test session."""
    with tempfile.TemporaryDirectory(prefix="dimm-tests-") as tmp:
        logs = Path(tmp) / "logs"
        kafka_port, mongo_port = free_port(), free_port()
        processes: list[subprocess.Popen[bytes]] = []
        try:
            tansu = start_tansu(kafka_port, log_path=logs / "tansu.log")
            processes.append(tansu)
            secantus = start_secantus(
                mongo_port, storage=str(Path(tmp) / "mongo"), log_path=logs / "secantus.log"
            )
            processes.append(secantus)
            wait_for_port(kafka_port, process=tansu, name="Tansu")
            wait_for_port(mongo_port, process=secantus, name="SecantusDB", timeout=60)
            yield Backend(
                name="embedded",
                kafka_bootstrap_servers=f"127.0.0.1:{kafka_port}",
                mongodb_url=f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true",
            )
        finally:
            for process in reversed(processes):
                stop_process(process)
