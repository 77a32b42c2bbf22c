"""The benchmark unit of work on MongoDB."""

from __future__ import annotations

from services.benchmark.adapters.members import MongoEntryRepository, MongoMemberRepository
from services.benchmark.adapters.snapshots import MongoSnapshotRepository
from services.benchmark.adapters.studies import MongoStudyRepository
from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from shared.adapters.plans import MongoPlanRepository
from shared.adapters.probes import MongoProbeAnswers
from shared.adapters.replicas import ModelCache, MongoModelVersions, MongoRevokedKeys
from shared.mongo import Database
from shared.mongo_unit_of_work import MongoUnitOfWork, Storage


class MongoBenchmarkUnitOfWork(MongoUnitOfWork, BenchmarkUnitOfWork):
    """The benchmark repositories over one MongoDB transaction."""

    def __init__(self, storage: Storage, *, models: ModelCache) -> None:
        super().__init__(storage)
        db = storage.db
        self.members = MongoMemberRepository(db, self)
        self.entries = MongoEntryRepository(db, self)
        self.plans = MongoPlanRepository(db, self)
        self.snapshots = MongoSnapshotRepository(db, self)
        self.studies = MongoStudyRepository(db, self)
        self.model_versions = MongoModelVersions(db, self, models)
        self.revoked_keys = MongoRevokedKeys(db, self)
        self.probe_answers = MongoProbeAnswers(db, self)


async def ensure_indexes(db: Database) -> None:
    """Create the indexes the repositories rely on."""
    none = _NoSession()
    await MongoMemberRepository(db, none).ensure_indexes()
    await MongoEntryRepository(db, none).ensure_indexes()
    await MongoSnapshotRepository(db, none).ensure_indexes()
    await MongoStudyRepository(db, none).ensure_indexes()


class _NoSession:
    session = None
