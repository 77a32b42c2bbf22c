"""Keep a service's topics on the broker: provision what is missing, replay what the broker lost.

A broker can come back without the topics it had (the embedded Tansu keeps them in memory; a
cluster rebuilt from scratch). Every interval the guard provisions the service's topics that are
missing, with their partitions and dead-letter topics. When the service's own topic is not the
one it knew (its broker id changed: deleted and created again, by this service or another one
that checked first), the events the service published lately are gone with it: the guard makes
the outbox rows published in the replay window pending again, so the relay sends them once more
(consumers are idempotent). Readiness reads `ok`: false until the topics exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from shared.logging import OccasionalWarning
from shared.messaging.topics import TopicSpec, check_topics

logger = logging.getLogger(__name__)

#: Provision the specs, then return (the topics created, the broker's id of the own topic).
Check = Callable[[str, Sequence[TopicSpec], str], tuple[list[str], dict[str, str]]]


def _check(servers: str, specs: Sequence[TopicSpec], own: str) -> tuple[list[str], dict[str, str]]:
    return check_topics(servers, specs, identify=[own])


class TopicGuard:
    """Provision missing topics every interval; call `on_lost` when the service's own topic was replaced."""

    def __init__(
        self,
        bootstrap_servers: str,
        specs: Sequence[TopicSpec],
        *,
        own_topic: str,
        interval_seconds: float,
        on_lost: Callable[[list[str]], Awaitable[None]],
        check: Check = _check,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._specs = tuple(specs)
        self._interval = interval_seconds
        self._on_lost = on_lost
        self._check = check
        self._own = own_topic
        self._known_id: str | None = None
        self._lost: list[str] = []
        self._task: asyncio.Task[None] | None = None
        self._warning = OccasionalWarning(logger)
        self.ok = False

    async def check_once(self) -> list[str]:
        """Provision what is missing; return the topics created (and replay if they were lost)."""
        try:
            created, ids = await asyncio.to_thread(self._check, self._bootstrap, self._specs, self._own)
        except Exception as exc:
            self.ok = False
            self._warning.failed("topics not checked", exc)
            return []
        if created:
            logger.warning("topics %s were missing on the broker: provisioned", sorted(created))
        current = ids.get(self._own)
        if current is not None and self._known_id is not None and current != self._known_id:
            logger.warning("%s is not the topic it was (the broker lost it): replaying", self._own)
            self._lost = [self._own]
        if current is not None:
            self._known_id = current
        self.ok = True
        if self._lost:
            try:
                await self._on_lost(self._lost)
            except Exception:
                logger.exception("replay after the broker lost its topics failed; retried next check")
            else:
                self._lost = []
        return created

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.check_once()

    async def provision(self) -> list[str]:
        """Provision the topics now and learn the own topic's id; raise if the broker does not answer.

        The service's start-up provisioning, retried by the caller while the broker comes up.
        """
        created, ids = await asyncio.to_thread(self._check, self._bootstrap, self._specs, self._own)
        self._known_id = ids.get(self._own, self._known_id)
        self.ok = True
        return created

    async def ensure(self, specs: Sequence[TopicSpec]) -> list[str]:
        """Provision more topics now (a partner's own) and keep them with the others from now on.

        Raises if the broker does not answer: the caller (a consumer's handler) is retried.
        """
        known = {spec.name for spec in self._specs}
        self._specs += tuple(spec for spec in specs if spec.name not in known)
        created, _ = await asyncio.to_thread(self._check, self._bootstrap, specs, self._own)
        return created

    def start(self) -> None:
        """Check in the background every interval (after `provision`)."""
        self._task = asyncio.create_task(self._run(), name="topic-guard")

    async def stop(self) -> None:
        """Stop checking."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
