"""The unit of work of the watch use cases: its repositories, committed with their events."""

from __future__ import annotations

from services.watch.service_layer.ports import (
    AlertRepository,
    DeliveryRepository,
    DiagnosticRepository,
    EndpointRepository,
    InboxRepository,
    MailRepository,
    NoticeRepository,
    OrganisationRepository,
    PartnerFeedRepository,
    PreferenceRepository,
)
from shared.adapters.plans import PlanRepository
from shared.probe import ProbeAnswers
from shared.replicas import ModelVersions, RevokedKeys
from shared.unit_of_work import UnitOfWork


class WatchUnitOfWork(UnitOfWork):
    """The watch repositories, committed with the events the changes caused."""

    organisations: OrganisationRepository
    plans: PlanRepository
    diagnostics: DiagnosticRepository
    notices: NoticeRepository
    alerts: AlertRepository
    inbox: InboxRepository
    preferences: PreferenceRepository
    endpoints: EndpointRepository
    deliveries: DeliveryRepository
    mails: MailRepository
    partner_feeds: PartnerFeedRepository
    model_versions: ModelVersions
    probe_answers: ProbeAnswers
    revoked_keys: RevokedKeys
