"""`dimm bench alerts` on one fault: the command starts everything, injects, times, prints."""

from __future__ import annotations

import pytest

from dimm.bench.alerts import run_alerts_bench
from dimm.monitoring import find_tool

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(find_tool("prometheus") is None, reason="Prometheus not installed: `make monitoring`"),
]


def test_a_poison_event_is_detected_and_reported() -> None:
    # Whether it is within the goal is the benchmark's figure, not a test's assertion.
    lines: list[str] = []
    (detection,) = run_alerts_bench(faults=("poison",), scrape_seconds=1.0, echo=lines.append)
    assert detection.alert == "DeadLettersIncreasing"
    assert detection.seconds is not None
    assert detection.labels["topic"].endswith(".dlq")
    assert any("detected 1/1" in line for line in lines), lines


def test_an_unknown_fault_is_refused_before_anything_starts() -> None:
    with pytest.raises(ValueError, match="unknown faults"):
        run_alerts_bench(faults=("meteor",), scrape_seconds=1.0, echo=print)
