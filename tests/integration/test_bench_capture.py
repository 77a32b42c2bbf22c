"""The capture benchmark in a test-sized form: answers, the database alone, and their ratio printed."""

from __future__ import annotations

import re

import httpx
import pytest

from dimm.bench.capture import measure_level
from dimm.bench.limits import conditional_writes
from dimm.bench.stack import BenchTarget
from tests.integration.conftest import TOKEN
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


def _target(backend: Backend) -> BenchTarget:
    return BenchTarget(backend.kafka_bootstrap_servers, backend.mongodb_url, "test backend")


class TestDatabaseAlone:
    async def test_every_conditional_write_is_timed(self, backend: Backend) -> None:
        rate = await conditional_writes(_target(backend), clients=3, writes_per_client=4)
        assert rate.operations == 12
        assert rate.per_second > 0
        assert rate.p50_ms is not None
        assert rate.p99_ms is not None
        assert 0 < rate.p50_ms <= rate.p99_ms


class TestCaptureBenchmark:
    async def test_one_level_prints_answers_the_database_alone_and_their_ratio(
        self, http: httpx.AsyncClient, backend: Backend
    ) -> None:
        lines: list[str] = []
        rate = await measure_level(http, _target(backend), TOKEN, 2, lines.append)
        assert rate > 0
        answers, database, ratio = lines
        assert re.search(r"2 respondents +\d+ answers", answers)
        assert re.search(r"database alone +\d+ writes", database)
        found = re.search(r"ratio answers/database (\d+\.\d\d) +\(goal ≥ 0\.50: (met|NOT met)\)", ratio)
        assert found is not None, ratio
