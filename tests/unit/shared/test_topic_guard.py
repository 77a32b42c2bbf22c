"""The topic guard: provisions what is missing, replays when the service's own topic was replaced."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from shared.messaging.guard import TopicGuard
from shared.messaging.topics import TopicSpec

pytestmark = pytest.mark.asyncio
OWN = "dimm.scoring.events"
SPECS = (TopicSpec(OWN, 3, 24), TopicSpec("dimm.scoring.dlq", 1, 24))


class Broker:
    """Answers each check with the topics it had to create and the own topic's id, or fails."""

    def __init__(self, answers: list[tuple[list[str], str] | Exception]) -> None:
        self.answers = answers

    def check(self, servers: str, specs: Sequence[TopicSpec], own: str) -> tuple[list[str], dict[str, str]]:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer[0], {own: answer[1]}


def guard(broker: Broker, lost: list[list[str]]) -> TopicGuard:
    async def on_lost(topics: list[str]) -> None:
        lost.append(topics)

    return TopicGuard(
        "b:9092",
        SPECS,
        own_topic=OWN,
        interval_seconds=60,
        on_lost=on_lost,
        check=broker.check,
    )


async def test_a_replaced_own_topic_is_replayed_whoever_created_it_again() -> None:
    lost: list[list[str]] = []
    # Start, a quiet check, then the topic is back with a new id: created by another service
    # that checked first, so this one created nothing.
    broker = Broker([([], "id-1"), ([], "id-1"), ([], "id-2"), ([], "id-2")])
    checking = guard(broker, lost)
    await checking.provision()  # the service's start-up: provisions, learns the own topic's id
    await checking.check_once()
    assert lost == []
    await checking.check_once()
    assert lost == [[OWN]]
    await checking.check_once()
    assert lost == [[OWN]]  # once
    assert checking.ok


async def test_topics_created_at_the_first_start_are_no_loss() -> None:
    lost: list[list[str]] = []
    checking = guard(Broker([([OWN, "dimm.scoring.dlq"], "id-1")]), lost)
    assert await checking.check_once() == [OWN, "dimm.scoring.dlq"]
    assert lost == []


async def test_a_broker_away_makes_the_guard_not_ok_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    lost: list[list[str]] = []
    checking = guard(
        Broker([([], "id-1"), ConnectionError("refused"), ConnectionError("refused"), ([], "id-1")]), lost
    )
    await checking.provision()  # the service's start-up: provisions, learns the own topic's id
    with caplog.at_level(logging.WARNING, logger="shared.messaging.guard"):
        await checking.check_once()
        await checking.check_once()
    assert not checking.ok
    assert len([r for r in caplog.records if "topics not checked" in r.getMessage()]) == 1
    await checking.check_once()
    assert checking.ok
    assert lost == []


async def test_a_failed_replay_is_tried_again_at_the_next_check() -> None:
    calls: list[list[str]] = []

    async def on_lost(topics: list[str]) -> None:
        calls.append(topics)
        if len(calls) == 1:
            raise ConnectionError("the database is away")

    broker = Broker([([], "id-1"), ([OWN], "id-2"), ([], "id-2")])
    checking = TopicGuard(
        "b:9092",
        SPECS,
        own_topic=OWN,
        interval_seconds=60,
        on_lost=on_lost,
        check=broker.check,
    )
    await checking.provision()  # the service's start-up: provisions, learns the own topic's id
    await checking.check_once()
    await checking.check_once()
    assert calls == [[OWN], [OWN]]
