"""The unit of work on MongoDB: one session and transaction, the outbox written at commit."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError

from shared.aggregate import Recorded
from shared.messaging.outbox import Outbox
from shared.mongo import INFRASTRUCTURE_ERRORS, Client, Database
from shared.tracing import current_trace_context
from shared.unit_of_work import UnitOfWork

COMMIT_RETRY_SECONDS = 30.0


class SessionSource(Protocol):
    """Where a repository finds the transaction to work in (None outside one)."""

    @property
    def session(self) -> AsyncClientSession | None: ...


@dataclass(frozen=True)
class Storage:
    """What a service's Mongo unit of work is built on, owned by the service runtime."""

    client: Client
    db: Database
    outbox: Outbox
    on_commit: Callable[[], None]


class MongoUnitOfWork(UnitOfWork):
    """A MongoDB transaction holding the repositories' writes and the outbox rows."""

    def __init__(self, storage: Storage) -> None:
        super().__init__(on_commit=storage.on_commit, trace_context=current_trace_context)
        self.client = storage.client
        self.db = storage.db
        self._outbox = storage.outbox
        self._session: AsyncClientSession | None = None

    @property
    def session(self) -> AsyncClientSession | None:
        """Return the open transaction's session, or None outside the unit of work."""
        return self._session

    async def _begin(self) -> None:
        self._session = self.client.start_session()
        await self._session.start_transaction()

    async def _write_events(self, events: Sequence[Recorded]) -> None:
        await self._outbox.stage(events, session=self._session)

    async def _commit(self) -> None:
        assert self._session is not None
        deadline = time.monotonic() + COMMIT_RETRY_SECONDS
        while True:
            try:
                await self._session.commit_transaction()
                return
            except PyMongoError as exc:
                # The commit may have happened: committing again is safe, running the work again is not.
                if exc.has_error_label("UnknownTransactionCommitResult") and time.monotonic() < deadline:
                    continue
                raise

    async def _rollback(self) -> None:
        if self._session is not None and self._session.in_transaction:
            await self._session.abort_transaction()

    async def _end(self) -> None:
        if self._session is not None:
            await self._session.end_session()
            self._session = None

    def is_transient(self, exc: BaseException) -> bool:
        """Tell whether MongoDB labelled the failure as a transaction worth running again at once."""
        if isinstance(exc, INFRASTRUCTURE_ERRORS):
            # Labelled transient too, but an outage is not a lost race: running the work again for
            # 30 s would hold an HTTP request and burn a consumer's attempts; let it be a 503 or a pause.
            return False
        return super().is_transient(exc) or (
            isinstance(exc, PyMongoError) and exc.has_error_label("TransientTransactionError")
        )
