"""The scoring unit of work on MongoDB."""

from __future__ import annotations

from services.scoring.adapters.peers import MongoPeerCohortRepository
from services.scoring.adapters.scorecards import MongoScorecardRepository
from services.scoring.service_layer.unit_of_work import ScoringUnitOfWork
from shared.adapters.probes import MongoProbeAnswers
from shared.adapters.replicas import ModelCache, MongoModelVersions, MongoRevokedKeys
from shared.mongo import Database
from shared.mongo_unit_of_work import MongoUnitOfWork, Storage


class MongoScoringUnitOfWork(MongoUnitOfWork, ScoringUnitOfWork):
    """The scoring repositories over one MongoDB transaction."""

    def __init__(self, storage: Storage, *, models: ModelCache) -> None:
        super().__init__(storage)
        db = storage.db
        self.scorecards = MongoScorecardRepository(db, self)
        self.peer_cohorts = MongoPeerCohortRepository(db, self)
        self.model_versions = MongoModelVersions(db, self, models)
        self.revoked_keys = MongoRevokedKeys(db, self)
        self.probe_answers = MongoProbeAnswers(db, self)


async def ensure_indexes(db: Database) -> None:
    """Create the indexes the repositories rely on."""
    await MongoScorecardRepository(db, _NoSession()).ensure_indexes()
    await MongoPeerCohortRepository(db, _NoSession()).ensure_indexes()


class _NoSession:
    session = None
