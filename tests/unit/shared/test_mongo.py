"""The Mongo client writes durably and fails fast; unavailability is told apart from bugs."""

from __future__ import annotations

import pytest
from pymongo import WriteConcern
from pymongo.errors import (
    AutoReconnect,
    DuplicateKeyError,
    OperationFailure,
    ServerSelectionTimeoutError,
    WriteConcernError,
)

from shared.messaging.outbox import Outbox
from shared.mongo import create_client, is_unavailable
from shared.mongo_unit_of_work import MongoUnitOfWork, Storage
from shared.settings import ServiceSettings


class TestClientOptions:
    pytestmark = pytest.mark.asyncio

    async def test_every_write_waits_for_the_journal_even_if_the_url_says_otherwise(self) -> None:
        client = create_client("mongodb://127.0.0.1:1/?w=0", app_name="test")
        try:
            assert client.write_concern == WriteConcern(w="majority", j=True)
        finally:
            await client.close()

    async def test_a_request_waits_only_a_few_seconds_for_an_unreachable_database(self) -> None:
        client = create_client("mongodb://127.0.0.1:1/", app_name="test", timeout_ms=1500)
        try:
            assert client.options.server_selection_timeout == 1.5
        finally:
            await client.close()


class TestTimeoutSetting:
    def test_the_wait_is_a_setting_of_a_few_seconds_by_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        assert ServiceSettings().mongodb_timeout_seconds == 3.0
        monkeypatch.setenv("DIMM_MONGODB_TIMEOUT_SECONDS", "0.5")
        assert ServiceSettings().mongodb_timeout_seconds == 0.5


def _labelled(error: OperationFailure, label: str) -> OperationFailure:
    error._add_error_label(label)
    return error


class TestUnavailable:
    @pytest.mark.parametrize(
        "error",
        [
            ServerSelectionTimeoutError("no server"),
            AutoReconnect("connection refused"),
            OperationFailure("shutting down", code=91),
            _labelled(OperationFailure("commit cut off"), "UnknownTransactionCommitResult"),
            _labelled(OperationFailure("no such transaction", code=251), "TransientTransactionError"),
        ],
        ids=["selection", "reconnect", "shutdown", "commit-unknown", "transient-transaction"],
    )
    def test_out_of_reach_or_restarting_is_unavailable(self, error: Exception) -> None:
        assert is_unavailable(error)

    @pytest.mark.parametrize(
        "error",
        [
            DuplicateKeyError("E11000", code=11000),
            OperationFailure("bad query", code=2),
            WriteConcernError("unsatisfiable", code=100),
            ValueError("not a database error"),
        ],
        ids=["duplicate-key", "bad-query", "unsatisfiable-write-concern", "other"],
    )
    def test_a_refused_or_broken_operation_is_not(self, error: Exception) -> None:
        assert not is_unavailable(error)


class TestUnitOfWorkRunsAgain:
    pytestmark = pytest.mark.asyncio

    async def test_a_lost_race_is_run_again_but_an_outage_is_left_to_answer_503(self) -> None:
        client = create_client("mongodb://127.0.0.1:1/", app_name="test")
        db = client["test"]
        outbox = Outbox(db["outbox"], source="/dimm/test", topic="dimm.test.events")
        uow = MongoUnitOfWork(Storage(client, db, outbox, lambda: None))
        try:
            conflict = _labelled(OperationFailure("WriteConflict", code=112), "TransientTransactionError")
            outage = AutoReconnect("connection refused")
            outage._add_error_label("TransientTransactionError")  # as the driver labels it in a transaction

            assert uow.is_transient(conflict)
            assert not uow.is_transient(outage)
        finally:
            await client.close()
