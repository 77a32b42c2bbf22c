"""The watch unit of work on MongoDB."""

from __future__ import annotations

from services.watch.adapters.diagnostics import MongoDiagnosticRepository, MongoOrganisationRepository
from services.watch.adapters.notices import MongoAlertRepository, MongoNoticeRepository
from services.watch.adapters.partners import MongoPartnerFeedRepository
from services.watch.adapters.subscribers import (
    MongoDeliveryRepository,
    MongoEndpointRepository,
    MongoInboxRepository,
    MongoMailRepository,
    MongoPreferenceRepository,
)
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.adapters.plans import MongoPlanRepository
from shared.adapters.probes import MongoProbeAnswers
from shared.adapters.replicas import ModelCache, MongoModelVersions, MongoRevokedKeys
from shared.mongo import Database
from shared.mongo_unit_of_work import MongoUnitOfWork, Storage


class MongoWatchUnitOfWork(MongoUnitOfWork, WatchUnitOfWork):
    """The watch repositories over one MongoDB transaction."""

    def __init__(self, storage: Storage, *, models: ModelCache) -> None:
        super().__init__(storage)
        db = storage.db
        self.organisations = MongoOrganisationRepository(db, self)
        self.plans = MongoPlanRepository(db, self)
        self.diagnostics = MongoDiagnosticRepository(db, self)
        self.notices = MongoNoticeRepository(db, self)
        self.alerts = MongoAlertRepository(db, self)
        self.inbox = MongoInboxRepository(db, self)
        self.preferences = MongoPreferenceRepository(db, self)
        self.endpoints = MongoEndpointRepository(db, self)
        self.deliveries = MongoDeliveryRepository(db, self)
        self.mails = MongoMailRepository(db, self)
        self.partner_feeds = MongoPartnerFeedRepository(db, self)
        self.model_versions = MongoModelVersions(db, self, models)
        self.probe_answers = MongoProbeAnswers(db, self)
        self.revoked_keys = MongoRevokedKeys(db, self)


async def ensure_indexes(db: Database) -> None:
    """Create the indexes the repositories rely on."""
    none = _NoSession()
    await MongoDiagnosticRepository(db, none).ensure_indexes()
    await MongoNoticeRepository(db, none).ensure_indexes()
    await MongoAlertRepository(db, none).ensure_indexes()
    await MongoInboxRepository(db, none).ensure_indexes()
    await MongoDeliveryRepository(db, none).ensure_indexes()
    await MongoMailRepository(db, none).ensure_indexes()
    await MongoPartnerFeedRepository(db, none).ensure_indexes()


class _NoSession:
    session = None
