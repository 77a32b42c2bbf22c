"""Headless Chromium (Debian's package) for the tests that look at a page as a browser draws it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dimm.embedded import free_port

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (make test installs it)"
)


def offline() -> list[str]:
    """Return the switches that keep Chromium off the network: only 127.0.0.1 answers.

    Every other host name fails to resolve, and any request that is not to the loopback (which
    Chromium never proxies) goes to a proxy on a port nothing listens on.
    """
    return [
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--proxy-server=http://127.0.0.1:{free_port()}",
    ]


def chromium(*arguments: str, profile: Path, timeout: float = 120) -> str:
    """Run headless Chromium with a fresh profile and these arguments; return what it printed."""
    command = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *arguments,
    ]
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout).stdout
