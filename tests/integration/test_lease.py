"""The Mongo lease on the real database: one holder, takeover after expiry, release, loss."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from shared.lease import LEASES_COLLECTION, Lease
from shared.mongo import Client, create_client
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

Collection = AsyncCollection[dict[str, Any]]


@pytest_asyncio.fixture
async def client(backend: Backend) -> AsyncIterator[Client]:
    mongo = create_client(backend.mongodb_url, app_name="test-lease")
    yield mongo
    await mongo.close()


@pytest_asyncio.fixture
async def leases(client: Client) -> Collection:
    return client[f"lease_{uuid.uuid4().hex[:8]}"][LEASES_COLLECTION]


def a_lease(collection: Collection, *, ttl: float = 30.0, name: str = "job") -> Lease:
    return Lease(collection, name, ttl_seconds=ttl)


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 20.0) -> None:
    """Retry an async predicate until it holds: expiry is measured on clocks, never asserted as a time."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"condition not met within {timeout}s"
        await asyncio.sleep(0.1)


class TestOneHolder:
    async def test_only_the_first_of_two_contenders_holds_the_lease(self, leases: Collection) -> None:
        first, second = a_lease(leases), a_lease(leases)

        assert await first.acquire()
        assert not await second.acquire()
        assert first.held
        assert not second.held

    async def test_the_document_names_the_holder_and_its_process(self, leases: Collection) -> None:
        lease = a_lease(leases)
        await lease.acquire()

        doc = await leases.find_one({"_id": "job"})
        assert doc is not None
        assert doc["holder"] == lease.holder
        assert doc["owner"] == lease.owner
        assert doc["expires_at"] > doc["acquired_at"]

    async def test_the_holder_may_acquire_again_and_starts_a_new_term(self, leases: Collection) -> None:
        lease = a_lease(leases)
        await lease.acquire()

        assert await lease.acquire()
        assert lease.term == 2


class TestTakeover:
    async def test_another_process_takes_the_lease_once_it_expired(self, leases: Collection) -> None:
        dead, survivor = a_lease(leases, ttl=1.0), a_lease(leases, ttl=1.0)
        await dead.acquire()

        await eventually(survivor.acquire)

        doc = await leases.find_one({"_id": "job"})
        assert doc is not None
        assert doc["holder"] == survivor.holder

    async def test_the_old_holder_cannot_renew_after_a_takeover(self, leases: Collection) -> None:
        old, new = a_lease(leases), a_lease(leases)
        await old.acquire()
        # Expired by the database's reckoning while the old holder's clock still says it holds
        # (clock skew): only the conditional write can refuse it.
        await leases.update_one({"_id": "job"}, {"$set": {"expires_at": datetime(2000, 1, 1, tzinfo=UTC)}})
        assert await new.acquire()

        assert not await old.renew(state={"x": 1})
        assert not old.held
        doc = await leases.find_one({"_id": "job"})
        assert doc is not None
        assert "state" not in doc

    async def test_the_state_recorded_by_a_holder_reaches_the_next_one(self, leases: Collection) -> None:
        first, second = a_lease(leases, ttl=1.0), a_lease(leases, ttl=1.0)
        await first.acquire()
        assert await first.renew(state={"positions": [{"topic": "t", "partition": 0, "offset": 7}]})

        await eventually(second.acquire)

        assert second.state == {"positions": [{"topic": "t", "partition": 0, "offset": 7}]}


class TestRelease:
    async def test_a_released_lease_is_taken_at_once_state_kept(self, leases: Collection) -> None:
        first, second = a_lease(leases), a_lease(leases)
        await first.acquire()
        await first.renew(state={"done": 3})

        await first.release()

        assert not first.held
        assert await second.acquire()
        assert second.state == {"done": 3}

    async def test_releasing_a_lease_held_by_another_leaves_it_alone(self, leases: Collection) -> None:
        first, second = a_lease(leases, ttl=1.0), a_lease(leases, ttl=1.0)
        await first.acquire()
        await eventually(second.acquire)

        await first.release()

        doc = await leases.find_one({"_id": "job"})
        assert doc is not None
        assert doc["holder"] == second.holder

    async def test_stopping_the_keeper_hands_over_at_once(self, leases: Collection) -> None:
        keeper, waiting = a_lease(leases), a_lease(leases)
        keeper.start()

        async def held() -> bool:
            return keeper.held

        await eventually(held)
        assert not await waiting.acquire()
        await keeper.stop()

        assert await waiting.acquire()


class TestLoss:
    async def test_the_keeper_renews_a_lease_before_it_expires(self, leases: Collection) -> None:
        keeper = a_lease(leases, ttl=3.0)
        keeper.start()
        try:
            first_expiry = await self._expiry_when_held(keeper, leases)

            async def renewed() -> bool:
                doc = await leases.find_one({"_id": "job"})
                return doc is not None and doc["expires_at"] > first_expiry

            await eventually(renewed)
            assert keeper.term == 1
        finally:
            await keeper.stop()

    async def test_the_lease_is_lost_when_its_local_deadline_passes(self, leases: Collection) -> None:
        lease = a_lease(leases, ttl=1.0)
        await lease.acquire()

        await asyncio.sleep(1.2)

        assert not lease.held
        assert not await lease.renew()

    async def test_a_database_outage_loses_the_lease_and_the_keeper_carries_on(
        self, backend: Backend
    ) -> None:
        mongo = create_client(backend.mongodb_url, app_name="test-lease-outage")
        lease = a_lease(mongo[f"lease_{uuid.uuid4().hex[:8]}"][LEASES_COLLECTION])
        await lease.acquire()
        await mongo.close()  # from here on, every write fails: the database is out of reach

        await lease.keep_once()  # the renewal fails: logged, not raised
        assert not lease.held
        await lease.keep_once()  # so does the next acquisition; the keeper would keep trying
        assert not lease.held

    async def test_an_unconfirmed_renewal_loses_the_lease(self, backend: Backend) -> None:
        mongo = create_client(backend.mongodb_url, app_name="test-lease-outage")
        lease = a_lease(mongo[f"lease_{uuid.uuid4().hex[:8]}"][LEASES_COLLECTION])
        await lease.acquire()
        await mongo.close()

        with pytest.raises(PyMongoError):
            await lease.renew()
        assert not lease.held

    @staticmethod
    async def _expiry_when_held(lease: Lease, leases: Collection) -> Any:
        async def held() -> bool:
            return lease.held

        await eventually(held)
        doc = await leases.find_one({"_id": "job"})
        assert doc is not None
        return doc["expires_at"]
