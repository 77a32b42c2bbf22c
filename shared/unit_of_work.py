"""One unit of work for HTTP use cases and consumers: state and outgoing events commit together.

A use case opens it (`async with uow:`), changes aggregates through the repositories, hands them
to `collect` (or `emit`s an event), then `commit`s: the events are written in the same
transaction as the state, and the relay is woken once the commit is durable. A consumer opens
one unit of work per batch and calls its handlers inside it; a use case that opens it again
nests, and only the outermost `commit` commits.
"""

from __future__ import annotations

import abc
import asyncio
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from types import TracebackType
from typing import ParamSpec, Self, TypeVar

from shared.aggregate import Aggregate, Recorded
from shared.events.envelope import Event
from shared.events.trace_context import TraceContext
from shared.logging import get_correlation_id

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

TRANSIENT_RETRY_SECONDS = 30.0


class TransientFailure(Exception):
    """The transaction lost a race (a write conflict): running the whole use case again fixes it."""


def _nothing() -> None:
    return None


def _untraced() -> TraceContext | None:
    return None


class UnitOfWork(abc.ABC):
    """Repositories of one service plus the events to publish, committed as one."""

    def __init__(
        self,
        *,
        on_commit: Callable[[], None] = _nothing,
        trace_context: Callable[[], TraceContext | None] = _untraced,
    ) -> None:
        self._on_commit = on_commit
        # Read when an event is staged, not at commit: a consumer commits a batch of handlers at once.
        self._trace_context = trace_context
        self._staged: list[Recorded] = []
        self._depth = 0
        self._committed = False

    async def __aenter__(self) -> Self:
        self._depth += 1
        if self._depth == 1:
            self._staged, self._committed = [], False
            await self._begin()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        try:
            if not self._committed:
                await self._rollback()
        finally:
            await self._end()
        if exc is not None and self.is_transient(exc):
            raise TransientFailure(str(exc)) from exc

    @property
    def active(self) -> bool:
        """Tell whether a transaction is open (reads outside one see the latest committed state)."""
        return self._depth > 0

    def emit(
        self, event: Event, *, subject: str | None, topic: str | None = None, event_id: str | None = None
    ) -> None:
        """Stage an outgoing event (for another topic if `topic`): it is written with the state at commit."""
        self._staged.append(
            Recorded(
                event,
                subject,
                self._trace_context(),
                correlation_id=get_correlation_id(),
                topic=topic,
                event_id=event_id,
            )
        )

    def collect(self, *aggregates: Aggregate) -> None:
        """Stage the events the aggregates recorded."""
        trace, correlation_id = self._trace_context(), get_correlation_id()
        for aggregate in aggregates:
            self._staged.extend(
                replace(r, trace=r.trace or trace, correlation_id=r.correlation_id or correlation_id)
                for r in aggregate.pull_events()
            )

    async def commit(self) -> None:
        """Write the staged events and commit; the outermost commit wakes the relay."""
        if self._depth == 0:
            raise RuntimeError("commit() outside `async with` of the unit of work")
        if self._depth > 1:
            return
        staged, self._staged = self._staged, []
        if staged:
            await self._write_events(staged)
        await self._commit()
        self._committed = True
        if staged:
            self._on_commit()

    def is_transient(self, exc: BaseException) -> bool:
        """Tell whether a failure is a lost race that a new attempt may win."""
        return isinstance(exc, TransientFailure)

    @abc.abstractmethod
    async def _begin(self) -> None: ...

    @abc.abstractmethod
    async def _write_events(self, events: Sequence[Recorded]) -> None: ...

    @abc.abstractmethod
    async def _commit(self) -> None: ...

    @abc.abstractmethod
    async def _rollback(self) -> None: ...

    async def _end(self) -> None:
        return None


def transactional(use_case: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Run a use case again when its transaction lost a race, with backoff, for a bounded time."""

    @functools.wraps(use_case)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        deadline = time.monotonic() + TRANSIENT_RETRY_SECONDS
        attempt = 0
        while True:
            attempt += 1
            try:
                return await use_case(*args, **kwargs)
            except TransientFailure:
                if time.monotonic() > deadline:
                    raise
                logger.debug("%s lost a race (attempt %d); running it again", use_case.__name__, attempt)
                await asyncio.sleep(random.uniform(0, min(0.5, 0.005 * 2**attempt)))

    return run


class MemoryUnitOfWork(UnitOfWork):
    """In-memory unit of work for unit tests: committed events are kept in `events`."""

    def __init__(self, *, trace_context: Callable[[], TraceContext | None] = _untraced) -> None:
        super().__init__(trace_context=trace_context)
        self.events: list[Recorded] = []
        self.commits = 0
        self._pending: list[Recorded] = []

    @property
    def published(self) -> list[Event]:
        """Return the payloads of the committed events, in order."""
        return [r.event for r in self.events]

    async def _begin(self) -> None:
        self._pending = []

    async def _write_events(self, events: Sequence[Recorded]) -> None:
        self._pending.extend(events)

    async def _commit(self) -> None:
        self.events.extend(self._pending)
        self._pending = []
        self.commits += 1

    async def _rollback(self) -> None:
        self._pending = []
