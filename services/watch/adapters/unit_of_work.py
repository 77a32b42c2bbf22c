"""The watch unit of work on MongoDB."""

from __future__ import annotations

from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.adapters.probes import MongoProbeAnswers
from shared.adapters.replicas import MongoRevokedKeys
from shared.mongo_unit_of_work import MongoUnitOfWork, Storage


class MongoWatchUnitOfWork(MongoUnitOfWork, WatchUnitOfWork):
    """The watch repositories over one MongoDB transaction."""

    def __init__(self, storage: Storage) -> None:
        super().__init__(storage)
        self.probe_answers = MongoProbeAnswers(storage.db, self)
        self.revoked_keys = MongoRevokedKeys(storage.db, self)
