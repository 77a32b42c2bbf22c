"""The unit of work of the scoring use cases: its repositories, committed with their events."""

from __future__ import annotations

from services.scoring.service_layer.ports import PeerCohortRepository, ScorecardRepository
from shared.probe import ProbeAnswers
from shared.replicas import ModelVersions, RevokedKeys
from shared.unit_of_work import UnitOfWork


class ScoringUnitOfWork(UnitOfWork):
    """The scoring repositories, committed with the events the changes caused."""

    scorecards: ScorecardRepository
    peer_cohorts: PeerCohortRepository
    model_versions: ModelVersions
    revoked_keys: RevokedKeys
    probe_answers: ProbeAnswers
