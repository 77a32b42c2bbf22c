"""Checks of a service's /metrics text as Prometheus reads it: promtool's lint, no `_created` series."""

from __future__ import annotations

import re
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dimm.monitoring import find_tool

#: What the process and platform collectors export on Linux (one of each kind is enough to know).
PROCESS_AND_PLATFORM = frozenset(
    {
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "python_info",
        "python_gc_collections_total",
    }
)

CREATED = re.compile(r"^(?:# (?:HELP|TYPE) )?[A-Za-z_:][\w:]*_created\b")


def promtool_check(text: str) -> None:
    """Run `promtool check metrics` on an exposition (skip when promtool is absent: `make monitoring`)."""
    promtool = find_tool("promtool")
    if promtool is None:
        pytest.skip("promtool not found: `make monitoring` fetches it (Debian's prometheus package)")
    result = subprocess.run(
        [str(promtool), "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Lint findings (a counter without _total, a missing HELP…) exit non-zero; a warning only prints.
    assert result.stdout.strip() == "", result.stdout
    assert result.stderr.strip() == "", result.stderr


def sample_names(text: str) -> set[str]:
    """Every sample name of an exposition."""
    return {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}


def created_series(text: str) -> list[str]:
    """The lines of an exposition that are, or describe, a `_created` series."""
    return [line for line in text.splitlines() if CREATED.match(line)]
