"""The unit of work: events commit with the state, nesting, rollback, retries of lost races."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.adapters.probes import MemoryProbeAnswers
from shared.aggregate import Aggregate
from shared.events.contracts.probe import ProbeRequested, ScoringProbeAnswered
from shared.logging import reset_correlation_id, set_correlation_id
from shared.probe import probe_responder
from shared.unit_of_work import MemoryUnitOfWork, TransientFailure, transactional

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 11, 29, tzinfo=UTC)


class _Thing(Aggregate):
    def touch(self) -> None:
        self.record(ProbeRequested(probe_id="p", requested_at=NOW), subject="p")


class _ProbeUnitOfWork(MemoryUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.probe_answers = MemoryProbeAnswers()


class TestCommit:
    async def test_collected_events_are_published_only_by_the_commit(self) -> None:
        uow, thing = MemoryUnitOfWork(), _Thing()
        thing.touch()
        async with uow:
            uow.collect(thing)
            assert uow.published == []
            await uow.commit()
        assert [type(e) for e in uow.published] == [ProbeRequested]
        assert thing.pull_events() == []

    async def test_leaving_without_commit_discards_the_events(self) -> None:
        uow = MemoryUnitOfWork()

        async def failing_use_case() -> None:
            async with uow:
                uow.emit(ProbeRequested(probe_id="p", requested_at=NOW), subject="p")
                raise RuntimeError("the use case failed")

        with pytest.raises(RuntimeError):
            await failing_use_case()
        async with uow:
            await uow.commit()
        assert uow.published == []

    async def test_only_the_outermost_commit_commits(self) -> None:
        uow = MemoryUnitOfWork()
        async with uow:
            async with uow:
                uow.emit(ProbeRequested(probe_id="p", requested_at=NOW), subject="p")
                await uow.commit()
            assert uow.commits == 0
            await uow.commit()
        assert (uow.commits, len(uow.published)) == (1, 1)

    async def test_commit_outside_the_unit_of_work_is_a_bug(self) -> None:
        with pytest.raises(RuntimeError):
            await MemoryUnitOfWork().commit()


class TestCorrelation:
    async def test_events_keep_the_correlation_id_they_were_staged_under(self) -> None:
        # A consumer's handler runs under the event's correlation id; the batch commits after it.
        uow, thing = MemoryUnitOfWork(), _Thing()
        async with uow:
            token = set_correlation_id("corr-from-event")
            try:
                thing.touch()
                uow.collect(thing)
                uow.emit(ProbeRequested(probe_id="q", requested_at=NOW), subject="q")
            finally:
                reset_correlation_id(token)
            uow.emit(ProbeRequested(probe_id="r", requested_at=NOW), subject="r")
            await uow.commit()
        assert [r.correlation_id for r in uow.events] == ["corr-from-event", "corr-from-event", None]


class TestTransactional:
    async def test_a_lost_race_runs_the_use_case_again(self) -> None:
        attempts = []

        @transactional
        async def use_case() -> str:
            attempts.append(1)
            if len(attempts) < 3:
                raise TransientFailure("WriteConflict")
            return "done"

        assert await use_case() == "done"
        assert len(attempts) == 3

    async def test_other_failures_are_not_retried(self) -> None:
        attempts = []

        @transactional
        async def use_case() -> None:
            attempts.append(1)
            raise ValueError("a rule refused it")

        with pytest.raises(ValueError, match="rule"):
            await use_case()
        assert len(attempts) == 1


class TestProbeResponder:
    async def test_a_probe_is_recorded_and_answered_on_the_services_topic(self) -> None:
        uow = _ProbeUnitOfWork()
        async with uow:
            await probe_responder("scoring")(ProbeRequested(probe_id="p1", requested_at=NOW), uow)
            await uow.commit()
        assert "p1" in uow.probe_answers.received
        [answer] = uow.published
        assert isinstance(answer, ScoringProbeAnswered)
