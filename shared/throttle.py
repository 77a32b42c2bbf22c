"""Throttle failed authentication: after N failures in a window, refuse with 429 until it ends.

Counters are kept per key (`token:client:<client id>`, `token:addr:<address>`,
`operator:addr:<address>`) in the service database's `auth_failures` collection, so every
replica sees the same counts: `{_id: key, count, expires_at}`, incremented with an atomic `$inc`
upsert; a TTL index on `expires_at` removes a window once it has passed. A window is fixed: it
starts at the first failure and lasts `window_seconds`; while a key has reached `max_failures`,
every attempt on it is refused (429 with Retry-After), even with the right credentials, and is
not counted (the window does not grow). A success clears the client id's counter, never the
address's: one valid key must not reset the count of an address guessing other clients' secrets.

The address is the connection's peer as the server gives it (uvicorn applies X-Forwarded-For only
from FORWARDED_ALLOW_IPS). Behind a proxy that is the proxy's address, shared by every caller,
unless the proxy is listed in `trusted_proxies`: then the right-most X-Forwarded-For address that
is not a trusted proxy is taken.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from pymongo.errors import DuplicateKeyError
from starlette.requests import HTTPConnection

from shared.errors import TooManyRequests
from shared.mongo import Database, ensure_index, utc_now

AUTH_FAILURES_COLLECTION = "auth_failures"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class FailureCounts(Protocol):
    """Where the failure counters live."""

    async def blocked_for(self, keys: Sequence[str], *, limit: int, now: datetime) -> float | None: ...

    async def record(self, keys: Sequence[str], *, window: timedelta, now: datetime) -> None: ...

    async def clear(self, key: str) -> None: ...


class MongoFailureCounts:
    """Counters in the service database, shared by its replicas."""

    def __init__(self, database: Callable[[], Database]) -> None:
        self._database = database  # the runtime's database exists only once the app has started

    @property
    def _collection(self) -> Any:
        return self._database()[AUTH_FAILURES_COLLECTION]

    async def ensure_indexes(self) -> None:
        """Let MongoDB forget a window once it has passed."""
        await ensure_index(self._collection, "expires_at", expireAfterSeconds=0)

    async def blocked_for(self, keys: Sequence[str], *, limit: int, now: datetime) -> float | None:
        cursor = self._collection.find(
            {"_id": {"$in": list(keys)}, "expires_at": {"$gt": now}, "count": {"$gte": limit}}
        )
        ends = [doc["expires_at"] async for doc in cursor]
        return max((end - now).total_seconds() for end in ends) if ends else None

    async def record(self, keys: Sequence[str], *, window: timedelta, now: datetime) -> None:
        for key in keys:
            # The TTL monitor runs once a minute: a window already over is dropped here first.
            await self._collection.delete_one({"_id": key, "expires_at": {"$lte": now}})
            update = {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": now + window}}
            try:
                await self._collection.update_one({"_id": key}, update, upsert=True)
            except DuplicateKeyError:  # another replica inserted it first: increment theirs
                await self._collection.update_one({"_id": key}, update, upsert=True)

    async def clear(self, key: str) -> None:
        await self._collection.delete_one({"_id": key})


class MemoryFailureCounts:
    """Counters in a dict, for unit tests."""

    def __init__(self) -> None:
        self.windows: dict[str, tuple[int, datetime]] = {}

    async def blocked_for(self, keys: Sequence[str], *, limit: int, now: datetime) -> float | None:
        ends = [
            end
            for count, end in (self.windows.get(k, (0, now)) for k in keys)
            if end > now and count >= limit
        ]
        return max((end - now).total_seconds() for end in ends) if ends else None

    async def record(self, keys: Sequence[str], *, window: timedelta, now: datetime) -> None:
        for key in keys:
            count, end = self.windows.get(key, (0, now))
            self.windows[key] = (count + 1, end) if end > now else (1, now + window)

    async def clear(self, key: str) -> None:
        self.windows.pop(key, None)


class AuthThrottle:
    """Refuse attempts on keys that failed too often; count failures; clear on success."""

    def __init__(
        self,
        counts: FailureCounts,
        *,
        max_failures: int,
        window_seconds: float,
        trusted_proxies: Iterable[Network] = (),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.counts = counts
        self.max_failures = max_failures
        self.window = timedelta(seconds=window_seconds)
        self.trusted_proxies = tuple(trusted_proxies)
        self._clock = clock

    async def check(self, keys: Sequence[str]) -> None:
        """Raise TooManyRequests while any key has reached the limit within its window."""
        wait = await self.counts.blocked_for(keys, limit=self.max_failures, now=self._clock())
        if wait is not None:
            raise TooManyRequests(
                "Too many failed authentication attempts; try again later.",
                retry_after_seconds=math.ceil(wait),
            )

    async def failed(self, keys: Sequence[str]) -> None:
        """Count one failure against every key."""
        await self.counts.record(keys, window=self.window, now=self._clock())

    async def succeeded(self, key: str) -> None:
        """Forget the failures of one key."""
        await self.counts.clear(key)

    def address(self, connection: HTTPConnection) -> str:
        """Return the caller's address: the peer, or what a trusted proxy says it forwarded."""
        peer = connection.client.host if connection.client else "unknown"
        if not _trusted(peer, self.trusted_proxies):
            return peer
        forwarded = [
            part.strip()
            for value in connection.headers.getlist("x-forwarded-for")
            for part in value.split(",")
            if part.strip()
        ]
        for hop in reversed(forwarded):
            if not _trusted(hop, self.trusted_proxies):
                return hop
        return forwarded[0] if forwarded else peer


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
