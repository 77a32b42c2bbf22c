"""The unit of work of the benchmark use cases: its repositories, committed with their events."""

from __future__ import annotations

from services.benchmark.service_layer.ports import (
    EntryRepository,
    MemberRepository,
    SnapshotRepository,
    StudyRepository,
)
from shared.adapters.plans import PlanRepository
from shared.probe import ProbeAnswers
from shared.replicas import ModelVersions, RevokedKeys
from shared.unit_of_work import UnitOfWork


class BenchmarkUnitOfWork(UnitOfWork):
    """The benchmark repositories, committed with the events the changes caused."""

    members: MemberRepository
    entries: EntryRepository
    plans: PlanRepository
    snapshots: SnapshotRepository
    studies: StudyRepository
    model_versions: ModelVersions
    revoked_keys: RevokedKeys
    probe_answers: ProbeAnswers
