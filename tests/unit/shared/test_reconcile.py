"""Relay positions: recorded per partition, advanced by acknowledged batches, scanned on takeover."""

from __future__ import annotations

from dataclasses import dataclass

from shared.messaging.reconcile import advance, positions_from_state, positions_to_state, scan_start


@dataclass(frozen=True)
class Acked:
    topic: str
    partition: int
    offset: int


class TestPositionsInTheLease:
    def test_positions_survive_the_round_trip_through_the_lease_state(self) -> None:
        positions = {("dimm.scoring.events", 0): 12, ("dimm.scoring.events", 1): 0}

        assert positions_from_state(positions_to_state(positions)) == positions

    def test_an_empty_state_has_no_positions(self) -> None:
        assert positions_from_state({}) == {}


class TestAdvance:
    def test_each_partition_moves_past_its_last_acknowledged_record(self) -> None:
        batch = [Acked("t", 0, 4), Acked("t", 1, 9), Acked("t", 0, 5)]

        assert advance({("t", 0): 4, ("t", 2): 3}, batch) == {("t", 0): 6, ("t", 1): 10, ("t", 2): 3}

    def test_a_broker_that_started_again_at_zero_moves_the_position_back(self) -> None:
        assert advance({("t", 0): 500}, [Acked("t", 0, 0)]) == {("t", 0): 1}


class TestScanStart:
    def test_a_known_position_is_where_the_scan_starts(self) -> None:
        assert scan_start(40, begin=0, end=50, limit=100) == 40

    def test_the_scan_reads_at_most_the_last_limit_records(self) -> None:
        assert scan_start(0, begin=0, end=5000, limit=1000) == 4000

    def test_an_unknown_position_reads_the_tail(self) -> None:
        assert scan_start(None, begin=0, end=5000, limit=1000) == 4000
        assert scan_start(None, begin=0, end=30, limit=1000) == 0

    def test_a_position_beyond_the_end_reads_the_tail_of_what_is_there(self) -> None:
        # The broker lost its topics (or reports an end that lags): nothing is skipped.
        assert scan_start(10_000, begin=0, end=7, limit=1000) == 0

    def test_records_removed_by_retention_are_not_asked_for(self) -> None:
        assert scan_start(10, begin=20, end=30, limit=1000) == 20

    def test_an_empty_partition_has_nothing_to_read(self) -> None:
        assert scan_start(None, begin=0, end=0, limit=1000) == 0
