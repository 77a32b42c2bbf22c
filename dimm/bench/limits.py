"""The database's own limit for a path: the minimal writes the path needs, done directly with the driver.

Each benchmark measures its path and, in the same run, on the same server and at the same
concurrency, these writes alone; the ratio says how much of the database the path uses.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dimm.bench.bus import percentile
from dimm.bench.stack import BenchTarget
from shared.mongo import Client, Database, create_client


@dataclass(frozen=True)
class Rate:
    """Operations per second, with the latency of each operation when it was timed one by one."""

    operations: int
    per_second: float
    p50_ms: float | None = None
    p99_ms: float | None = None

    def ratio(self, measured: float) -> float:
        """Return what share of this rate a path's rate is."""
        return measured / self.per_second


def verdict(met: bool) -> str:
    """Say whether a goal is met."""
    return "met" if met else "NOT met"


async def on_scratch_database(
    target: BenchTarget, app_name: str, work: Callable[[Client, Database], Awaitable[Rate]]
) -> Rate:
    """Run `work` on a database of its own (dropped after), through a client as the services make it."""
    client = create_client(target.mongodb_url, app_name=app_name, timeout_ms=60_000)
    db = client[f"bench_limit_{uuid.uuid4().hex[:8]}"]
    try:
        return await work(client, db)
    finally:
        await client.drop_database(db.name)
        await client.close()


def _draft(number: int) -> dict[str, Any]:
    return {
        "_id": f"dg_{number}",
        "account_id": "acc_bench",
        "status": "draft",
        "respondents": [{"respondent_id": "rsp_bench", "revoked_at": None}],
        "answers": {},
    }


async def conditional_writes(target: BenchTarget, *, clients: int, writes_per_client: int) -> Rate:
    """Time one conditional update per answer: its diagnostic still a draft, its respondent still active.

    `clients` tasks share one client (one connection pool, as a service process does), each writing
    `writes_per_client` answers one after the other into a draft of its own, as a respondent does.
    """

    async def work(_: Client, db: Database) -> Rate:
        drafts = db["diagnostics"]
        await drafts.insert_many([_draft(n) for n in range(clients)])
        latencies: list[float] = []

        async def respondent(number: int) -> None:
            for n in range(writes_per_client):
                answer = {"level": n % 6, "not_applicable": False, "comment": "bench", "evidence": []}
                started = time.perf_counter()
                result = await drafts.update_one(
                    {
                        "_id": f"dg_{number}",
                        "account_id": "acc_bench",
                        "status": "draft",
                        "respondents": {"$elemMatch": {"respondent_id": "rsp_bench", "revoked_at": None}},
                    },
                    {
                        "$set": {
                            f"answers.rsp_bench.I{n:03d}": {**answer, "updated_at": datetime.now(UTC)},
                            "answered_at": datetime.now(UTC),
                        },
                        "$inc": {"revision": 1},
                    },
                )
                latencies.append((time.perf_counter() - started) * 1000)
                assert result.matched_count == 1

        started = time.perf_counter()
        await asyncio.gather(*(respondent(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
        return Rate(
            len(latencies), len(latencies) / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99)
        )

    return await on_scratch_database(target, "dimm-bench-limit", work)


Writes = dict[str, list[dict[str, Any]]]
"""Documents to insert, by collection."""


async def batched_writes(
    target: BenchTarget,
    batches: list[Writes],
    *,
    indexes: Callable[[Database], Awaitable[None]],
) -> Rate:
    """Time one transaction per batch inserting its documents (one `insert_many` per collection).

    `indexes` creates the indexes the service has on those collections, so both pay for the same
    writes. Returns the rate in documents of the first collection (the events) per second.
    """

    async def work(client: Client, db: Database) -> Rate:
        await indexes(db)
        started = time.perf_counter()
        for batch in batches:
            async with client.start_session() as session:
                await session.start_transaction()
                for collection, documents in batch.items():
                    await db[collection].insert_many(documents, session=session)
                await session.commit_transaction()
        elapsed = time.perf_counter() - started
        events = sum(len(next(iter(batch.values()))) for batch in batches)
        return Rate(events, events / elapsed)

    return await on_scratch_database(target, "dimm-bench-limit", work)
