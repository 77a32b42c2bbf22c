"""The topic guard: provisions what is missing, replays when topics it had seen vanished."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from shared.messaging.guard import TopicGuard
from shared.messaging.topics import TopicSpec

pytestmark = pytest.mark.asyncio
SPECS = (TopicSpec("dimm.scoring.events", 3, 24), TopicSpec("dimm.scoring.dlq", 1, 24))


class Broker:
    """Answers each provisioning with the topics it had to create, or fails."""

    def __init__(self, answers: list[list[str] | Exception]) -> None:
        self.answers = answers

    def provision(self, servers: str, specs: Sequence[TopicSpec]) -> list[str]:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_topics_lost_after_being_seen_are_provisioned_again_and_replayed() -> None:
    lost: list[list[str]] = []

    async def on_lost(topics: list[str]) -> None:
        lost.append(topics)

    broker = Broker([[], ["dimm.scoring.events", "dimm.scoring.dlq"], []])
    guard = TopicGuard("b:9092", SPECS, interval_seconds=1, on_lost=on_lost, provision=broker.provision)
    guard.start()  # the service provisioned them at start: seen
    await guard.stop()
    assert await guard.check_once() == []
    assert lost == []
    assert await guard.check_once() == ["dimm.scoring.events", "dimm.scoring.dlq"]
    assert lost == [["dimm.scoring.dlq", "dimm.scoring.events"]]
    assert guard.ok


async def test_topics_created_before_any_were_seen_are_no_loss() -> None:
    lost: list[list[str]] = []

    async def on_lost(topics: list[str]) -> None:
        lost.append(topics)

    broker = Broker([["dimm.scoring.events"]])
    guard = TopicGuard("b:9092", SPECS, interval_seconds=1, on_lost=on_lost, provision=broker.provision)
    assert await guard.check_once() == ["dimm.scoring.events"]
    assert lost == []


async def test_a_broker_away_makes_the_guard_not_ok_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    async def on_lost(topics: list[str]) -> None:
        raise AssertionError("nothing was lost")

    broker = Broker([ConnectionError("refused"), ConnectionError("refused"), []])
    guard = TopicGuard("b:9092", SPECS, interval_seconds=1, on_lost=on_lost, provision=broker.provision)
    guard.start()
    await guard.stop()
    with caplog.at_level(logging.WARNING, logger="shared.messaging.guard"):
        await guard.check_once()
        await guard.check_once()
    assert not guard.ok
    assert len([r for r in caplog.records if "topics not checked" in r.getMessage()]) == 1
    await guard.check_once()
    assert guard.ok


async def test_a_failed_replay_is_tried_again_at_the_next_check() -> None:
    calls: list[list[str]] = []

    async def on_lost(topics: list[str]) -> None:
        calls.append(topics)
        if len(calls) == 1:
            raise ConnectionError("the database is away")

    broker = Broker([["dimm.scoring.events"], []])
    guard = TopicGuard("b:9092", SPECS, interval_seconds=1, on_lost=on_lost, provision=broker.provision)
    guard.start()
    await guard.stop()
    await guard.check_once()
    await guard.check_once()
    assert calls == [["dimm.scoring.events"], ["dimm.scoring.events"]]
