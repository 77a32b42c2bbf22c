"""MongoDB helpers: one async client per event loop, transactions as a single call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

T = TypeVar("T")
Document = dict[str, Any]
Database = AsyncDatabase[Document]
Client = AsyncMongoClient[Document]

#: Errors that say the database is out of reach, not that the work is wrong.
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (ConnectionFailure,)

#: Labels and server codes that say "out of reach for now, try again", not "the work is wrong":
#: a commit cut off, a transaction the restarted server forgot, a server shutting down or stepping down.
_UNAVAILABLE_LABELS = ("TransientTransactionError", "UnknownTransactionCommitResult", "RetryableWriteError")
_UNAVAILABLE_CODES = frozenset({6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436})


def is_unavailable(exc: BaseException) -> bool:
    """Tell whether a database error means the database is unavailable for now, so retrying may work."""
    if isinstance(exc, INFRASTRUCTURE_ERRORS):
        return True
    if not isinstance(exc, PyMongoError):
        return False
    if any(exc.has_error_label(label) for label in _UNAVAILABLE_LABELS):
        return True
    return isinstance(exc, OperationFailure) and exc.code in _UNAVAILABLE_CODES


#: Every write, in a transaction or not, is acknowledged only once it is in the journal: an
#: acknowledged write survives a crash of the database. Set on the client, so transactions
#: (whose write concern goes on commitTransaction) inherit it too.
WRITE_CONCERN: dict[str, Any] = {"w": "majority", "journal": True}


def create_client(url: str, *, app_name: str, timeout_ms: int = 5_000) -> Client:
    """Create a client writing durably; it connects lazily and belongs to the running event loop."""
    return AsyncMongoClient(
        url,
        appname=app_name,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        **WRITE_CONCERN,
    )


def utc_now() -> datetime:
    """Return the time as MongoDB stores it (UTC, millisecond precision), so reads equal writes."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


async def in_transaction(client: Client, work: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction, retried by the driver on transient errors."""
    async with client.start_session() as session:
        return await session.with_transaction(work)


_INDEX_CONFLICTS = (85, 86)  # IndexOptionsConflict, IndexKeySpecsConflict


async def ensure_index(collection: AsyncCollection[Document], keys: Any, **options: Any) -> str:
    """Create an index; if an older definition under the same name differs, replace it."""
    try:
        name: str = await collection.create_index(keys, **options)
    except OperationFailure as exc:
        if exc.code not in _INDEX_CONFLICTS:
            raise
        name = options.get("name") or default_index_name(keys)
        await collection.drop_index(name)
        name = await collection.create_index(keys, **options)
    return name


def default_index_name(keys: Any) -> str:
    """Return the name MongoDB gives an index on `keys` by default."""
    pairs = [(keys, 1)] if isinstance(keys, str) else list(keys)
    return "_".join(f"{field}_{direction}" for field, direction in pairs)


async def ping(client: Client) -> bool:
    """Tell whether the database answers."""
    try:
        await client.admin.command("ping")
    except (ConnectionFailure, OperationFailure):
        return False
    return True
