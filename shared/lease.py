"""A named lease in MongoDB: one holder at a time, renewed while alive, taken over after expiry.

One document per lease name in the service database's `leases` collection:
`{_id: name, holder, owner, acquired_at, expires_at, state}`. `holder` is a random id per lease
object, `owner` says which host and process that is (for operators), `state` is whatever the
holder records with its renewals (the relay keeps its published positions there).

`expires_at` is written with the writer's clock, so the hosts' clocks must agree to well within
the lease duration (NTP). Locally the holder trusts only its monotonic clock: it counts its
lease from the moment it *sent* the last successful write, so it gives up before the database
lets anyone else in.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, PyMongoError

from shared.background import Background
from shared.mongo import utc_now

logger = logging.getLogger(__name__)

LEASES_COLLECTION = "leases"


class Lease:
    """Hold a named lease: acquire it, renew it every third of its duration, release it on stop."""

    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        name: str,
        *,
        ttl_seconds: float,
        owner: str | None = None,
    ) -> None:
        self._collection = collection
        self.name = name
        self.holder = uuid.uuid4().hex
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.ttl_seconds = ttl_seconds
        #: Bumped at every acquisition: a change tells the user that someone else may have held it.
        self.term = 0
        #: The `state` found in the document when the lease was last acquired.
        self.state: dict[str, Any] = {}
        self._deadline = 0.0
        self._keeper = Background(f"lease-{name}", self.keep)

    @property
    def held(self) -> bool:
        """Tell whether this object holds the lease, by its own monotonic clock."""
        return time.monotonic() < self._deadline

    async def acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours; say whether we hold it now."""
        sent = time.monotonic()
        now = utc_now()
        try:
            doc = await self._collection.find_one_and_update(
                {
                    "_id": self.name,
                    "$or": [{"holder": self.holder}, {"holder": None}, {"expires_at": {"$lte": now}}],
                },
                {"$set": self._claim(now, acquired=True)},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            # The upsert found the document held by someone else: the lease is not ours.
            self._lose(None)
            return False
        except BaseException:
            self._lose("the acquisition did not complete")
            raise
        self.state = dict(doc.get("state") or {}) if doc else {}
        self.term += 1
        self._deadline = sent + self.ttl_seconds
        logger.info("lease %s acquired by %s (%s), term %d", self.name, self.holder, self.owner, self.term)
        return True

    async def renew(self, *, state: Mapping[str, Any] | None = None) -> bool:
        """Extend the lease (and record `state`) only if we still hold it; say whether we do."""
        if not self.held:
            self._lose("its local deadline passed before renewal")
            return False
        sent = time.monotonic()
        fields = self._claim(utc_now(), acquired=False)
        if state is not None:
            fields["state"] = dict(state)
        try:
            result = await self._collection.update_one(
                {"_id": self.name, "holder": self.holder}, {"$set": fields}
            )
        except BaseException:
            self._lose("the renewal did not complete")
            raise
        if result.matched_count != 1:
            self._lose("another holder took it")
            return False
        self._deadline = sent + self.ttl_seconds
        return True

    async def release(self) -> None:
        """Give the lease up at once, keeping its state, so another process need not wait."""
        was_held, self._deadline = self.held, 0.0
        await self._collection.update_one(
            {"_id": self.name, "holder": self.holder},
            {"$set": {"holder": None, "owner": None, "expires_at": utc_now()}},
        )
        if was_held:
            logger.info("lease %s released by %s", self.name, self.holder)

    def _claim(self, now: Any, *, acquired: bool) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "holder": self.holder,
            "owner": self.owner,
            "expires_at": now + timedelta(seconds=self.ttl_seconds),
        }
        if acquired:
            fields["acquired_at"] = now
        return fields

    def _lose(self, reason: str | None) -> None:
        if self._deadline and reason is not None:
            logger.warning("lease %s lost by %s: %s", self.name, self.holder, reason)
        self._deadline = 0.0

    async def keep_once(self) -> None:
        """Renew the lease if we hold it, else try to take it; a database outage only loses it."""
        if self._deadline and not self.held:
            self._lose("its local deadline passed before renewal")
        try:
            if self.held:
                await self.renew()
            else:
                await self.acquire()
        except PyMongoError as exc:
            logger.warning("lease %s: database unreachable (%s); retrying", self.name, exc)

    async def keep(self) -> None:
        """Keep trying to hold the lease until cancelled."""
        while True:
            await self.keep_once()
            await asyncio.sleep(self.ttl_seconds / 3)

    def start(self) -> None:
        """Start keeping the lease in the background."""
        self._keeper.start()

    async def stop(self) -> None:
        """Stop renewing and release the lease; an unreachable database lets it expire instead."""
        await self._keeper.stop()
        try:
            await self.release()
        except PyMongoError as exc:
            logger.warning("lease %s not released (%s): it expires on its own", self.name, exc)
