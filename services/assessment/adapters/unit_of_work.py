"""The assessment unit of work on MongoDB."""

from __future__ import annotations

from services.assessment.adapters.accounts import MongoAccountRepository
from services.assessment.adapters.catalogue import MongoModelVersionRepository
from services.assessment.adapters.diagnostics import MongoAnswerRepository, MongoDiagnosticRepository
from services.assessment.adapters.idempotency import MongoIdempotencyRepository
from services.assessment.adapters.organisations import MongoOrganisationRepository
from services.assessment.adapters.partners import MongoPartnerRepository
from services.assessment.adapters.probes import MongoProbeRepository
from services.assessment.adapters.resend import OutboxSubmissionResender
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.messaging.outbox import OUTBOX_COLLECTION
from shared.mongo import Database
from shared.mongo_unit_of_work import MongoUnitOfWork, Storage


class MongoAssessmentUnitOfWork(MongoUnitOfWork, AssessmentUnitOfWork):
    """The assessment repositories over one MongoDB transaction."""

    def __init__(self, storage: Storage) -> None:
        super().__init__(storage)
        db = storage.db
        self.accounts = MongoAccountRepository(db, self)
        self.organisations = MongoOrganisationRepository(db, self)
        self.partners = MongoPartnerRepository(db, self)
        self.diagnostics = MongoDiagnosticRepository(db, self)
        self.answers = MongoAnswerRepository(db, self)
        self.models = MongoModelVersionRepository(db, self)
        self.probes = MongoProbeRepository(db, self)
        self.idempotency = MongoIdempotencyRepository(db)
        self.submissions = OutboxSubmissionResender(db[OUTBOX_COLLECTION])


async def ensure_indexes(db: Database, *, idempotency_ttl_seconds: int, probe_ttl_seconds: int) -> None:
    """Create the indexes the repositories rely on."""
    no_session = _NoSession()
    await MongoModelVersionRepository(db, no_session).ensure_indexes()
    await MongoAccountRepository(db, no_session).ensure_indexes()
    await MongoOrganisationRepository(db, no_session).ensure_indexes()
    await MongoPartnerRepository(db, no_session).ensure_indexes()
    await MongoDiagnosticRepository(db, no_session).ensure_indexes()
    await MongoAnswerRepository(db, no_session).ensure_indexes()
    await MongoIdempotencyRepository(db).ensure_indexes(idempotency_ttl_seconds)
    await MongoProbeRepository(db, no_session).ensure_indexes(probe_ttl_seconds)
    await OutboxSubmissionResender(db[OUTBOX_COLLECTION]).ensure_indexes()


class _NoSession:
    session = None
