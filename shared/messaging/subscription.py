"""Typed subscriptions: which handler runs for which event, checked by mypy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from shared.events.envelope import Event
from shared.unit_of_work import UnitOfWork

E = TypeVar("E", bound=Event)
U = TypeVar("U", bound=UnitOfWork)


@dataclass(frozen=True)
class Route(Generic[U]):
    """What to do with one event type: handle it, give up on it, what it makes available."""

    handler: Callable[[Any, U], Awaitable[None]]
    give_up: Callable[[Any, U, str], Awaitable[None]] | None
    satisfies: Callable[[Any], Iterable[str]] | None


class Subscription(Generic[U]):
    """The topics a service consumes and the handler of each event type it cares about."""

    def __init__(self, *topics: str) -> None:
        self.topics: tuple[str, ...] = topics
        self._routes: dict[str, Route[U]] = {}
        self._events: dict[str, type[Event]] = {}

    def on(
        self,
        event: type[E],
        handler: Callable[[E, U], Awaitable[None]],
        *,
        give_up: Callable[[E, U, str], Awaitable[None]] | None = None,
        satisfies: Callable[[E], Iterable[str]] | None = None,
    ) -> Subscription[U]:
        """Handle an event type; `give_up` runs once it is dead-lettered, `satisfies` names what it brings."""
        if event.event_type in self._routes:
            raise ValueError(f"{event.event_type} already has a handler")
        self._routes[event.event_type] = Route(
            cast(Callable[[Any, U], Awaitable[None]], handler),
            cast(Callable[[Any, U, str], Awaitable[None]] | None, give_up),
            cast(Callable[[Any], Iterable[str]] | None, satisfies),
        )
        self._events[event.event_type] = event
        return self

    def route(self, event_type: str) -> Route[U] | None:
        """Return the route of an event type, or None when the service ignores it."""
        return self._routes.get(event_type)

    @property
    def event_types(self) -> list[str]:
        """List the handled event types."""
        return sorted(self._routes)

    @property
    def events(self) -> list[type[Event]]:
        """List the contracts of the handled events, in the order of their types."""
        return [self._events[event_type] for event_type in self.event_types]
