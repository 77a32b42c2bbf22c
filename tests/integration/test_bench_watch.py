"""The watch benchmark in a test-sized form: each measurement runs once and gives sane figures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest

from dimm.bench.stack import BenchTarget
from dimm.bench.watch import measure_index, print_fanout, print_impact, print_selections
from dimm.bench.watch_fanout import measure_fanout
from dimm.bench.watch_index import MODELS, measure_impact, watched_population
from services.watch.domain.index import ABSENT
from tests.stack import Backend, embedded_backend

ROWS = 2_000
ORGANISATIONS = 50
PATIENCE_SECONDS = 300


class TestPopulation:
    def test_it_has_quick_profiles_carried_over_rows_and_inapplicable_indicators(self) -> None:
        matrix = watched_population(ROWS)
        assert len(matrix) == ROWS
        carried = matrix.models == MODELS.index("dimm@1.0.0")
        assert 0 < carried.sum() < ROWS // 4
        absent_per_row = (matrix.levels == ABSENT).sum(axis=1)
        assert (absent_per_row > 0).any()
        assert (absent_per_row == 0).any()
        assert set(np.unique(matrix.levels).tolist()) <= set(range(-2, 6))


class TestIndexAgainstScan:
    def test_every_notice_selects_the_scans_rows_with_times(self) -> None:
        selections = measure_index(ROWS, scan_rows=ROWS)
        assert len(selections) == 4
        for found in selections:
            assert found.same_rows, found.notice.id
            assert 0 < found.selected < ROWS
            assert found.index_seconds > 0
            assert found.scan_seconds > 0
            assert found.scanned_rows == found.rows == ROWS
        lines: list[str] = []
        print_selections(selections, lines.append)
        assert sum("same rows: yes" in line for line in lines) == 4
        assert sum("index ≤ 2 s: " in line for line in lines) == 4
        assert not any("EXTRAPOLATED" in line for line in lines)

    def test_a_scan_of_a_sample_is_scaled_and_said_so(self) -> None:
        selections = measure_index(ROWS, scan_rows=500)
        assert all(found.same_rows and found.scanned_rows == 500 for found in selections)
        assert selections[0].scan_full_seconds == pytest.approx(selections[0].scan_seconds * ROWS / 500)
        lines: list[str] = []
        print_selections(selections, lines.append)
        assert "EXTRAPOLATED" in lines[0]


class TestImpactRate:
    def test_re_scoring_gives_a_rate_and_the_advice_changes_of_tio2(self) -> None:
        figures = measure_impact(ROWS)
        assert figures["rate"] > 0
        assert 0 < figures["advice_changed"] < ROWS
        assert figures["mean_delta"] == pytest.approx(0.0)  # a target moves advice, never a score
        lines: list[str] = []
        print_impact(ROWS, figures, lines.append)
        assert "goal ≥ 1,000,000/s" in lines[1]


@pytest.fixture(scope="module")
def own_backend() -> Iterator[Backend]:
    """A broker and database of this module's own, as the bench has: a fresh consumer group on the
    session's shared topics would first read every event the other tests produced."""
    with embedded_backend() as running:
        yield running


@pytest.mark.integration
@pytest.mark.asyncio(loop_scope="module")
class TestWebhookFanout:
    async def test_every_targeted_organisation_gets_one_webhook(self, own_backend: Backend) -> None:
        backend = own_backend
        target = BenchTarget(backend.kafka_bootstrap_servers, backend.mongodb_url, "test backend")
        fanout = await asyncio.wait_for(measure_fanout(target, ORGANISATIONS), PATIENCE_SECONDS)
        assert fanout.received == ORGANISATIONS
        assert fanout.duplicates == 0
        assert 0 < fanout.first_seconds <= fanout.last_seconds
        assert 0 < fanout.p50_ms <= fanout.p99_ms <= fanout.last_seconds * 1000
        assert fanout.rate > 0
        assert fanout.index_seconds > 0
        lines: list[str] = []
        print_fanout(fanout, lines.append)
        assert "50 of 50 webhooks, 0 duplicate(s)" in lines[1]
