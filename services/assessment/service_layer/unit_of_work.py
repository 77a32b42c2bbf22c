"""The unit of work of the assessment use cases: its repositories, committed with their events."""

from __future__ import annotations

from services.assessment.service_layer.ports import (
    AccountRepository,
    AnswerRepository,
    DiagnosticRepository,
    IdempotencyRepository,
    ModelVersionRepository,
    OrganisationRepository,
    PartnerRepository,
    ProbeRepository,
    SubmissionResender,
)
from shared.unit_of_work import UnitOfWork


class AssessmentUnitOfWork(UnitOfWork):
    """The assessment repositories, committed with the events the changes caused."""

    accounts: AccountRepository
    organisations: OrganisationRepository
    partners: PartnerRepository
    diagnostics: DiagnosticRepository
    answers: AnswerRepository
    models: ModelVersionRepository
    probes: ProbeRepository
    idempotency: IdempotencyRepository
    submissions: SubmissionResender
