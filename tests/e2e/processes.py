"""Service processes of the end-to-end tests: kill one the hard way, stop all the soft way."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterable


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
