"""In-memory fakes of the benchmark repositories and unit of work, for unit tests of use cases."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from services.benchmark.domain.cohorts import CohortKey
from services.benchmark.domain.entries import ScoredEntry
from services.benchmark.domain.members import Member
from services.benchmark.domain.publications import SnapshotRecord, StudyResults
from services.benchmark.domain.snapshots import CohortStats
from services.benchmark.domain.studies import Study
from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from shared.adapters.plans import MemoryPlanRepository
from shared.adapters.probes import MemoryProbeAnswers
from shared.adapters.replicas import MemoryModelVersions, MemoryRevokedKeys
from shared.unit_of_work import MemoryUnitOfWork

T = TypeVar("T")


def _copy(item: T) -> T:
    """Hand out copies, as a database does: a change is seen only once it is saved."""
    return copy.deepcopy(item)


class MemoryMemberRepository:
    """Organisations in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, Member] = {}

    async def get(self, organisation_id: str) -> Member | None:
        """Return an organisation."""
        return _copy(self.items.get(organisation_id))

    async def save(self, member: Member) -> None:
        """Store an organisation's state."""
        self.items[member.organisation_id] = _copy(member)

    async def forget(self, organisation_id: str) -> None:
        """Delete an organisation."""
        self.items.pop(organisation_id, None)

    async def contributing(self, model_id: str) -> list[Member]:
        """Return the organisations that contribute a diagnostic of this model."""
        return [
            _copy(m)
            for m in self.items.values()
            if m.contributing and not m.erased and m.latest is not None and m.latest.model_id == model_id
        ]


class MemoryEntryRepository:
    """Scored diagnostics in a dictionary; withdrawn ids are remembered."""

    def __init__(self) -> None:
        self.items: dict[str, ScoredEntry] = {}
        self.withdrawn: set[str] = set()

    async def add(self, entry: ScoredEntry) -> None:
        """Store a scored diagnostic unless it was withdrawn."""
        if entry.diagnostic_id not in self.withdrawn:
            self.items.setdefault(entry.diagnostic_id, entry)

    async def of_organisation(self, organisation_id: str) -> list[ScoredEntry]:
        """Return an organisation's scored diagnostics."""
        return [e for e in self.items.values() if e.organisation_id == organisation_id]

    async def remove(self, diagnostic_id: str) -> str | None:
        """Withdraw a diagnostic; return its organisation."""
        self.withdrawn.add(diagnostic_id)
        gone = self.items.pop(diagnostic_id, None)
        return gone.organisation_id if gone else None

    async def forget_organisation(self, organisation_id: str) -> int:
        """Delete an erased organisation's diagnostics."""
        gone = [i for i, e in self.items.items() if e.organisation_id == organisation_id]
        for diagnostic_id in gone:
            del self.items[diagnostic_id]
        return len(gone)


class MemorySnapshotRepository:
    """Snapshots in a list."""

    def __init__(self) -> None:
        self.items: list[SnapshotRecord] = []

    async def add(self, record: SnapshotRecord) -> None:
        """Store a snapshot."""
        self.items.append(record)

    async def latest(self, model_id: str) -> SnapshotRecord | None:
        """Return the newest snapshot of a model."""
        mine = [r for r in self.items if r.model_id == model_id]
        return max(mine, key=lambda r: r.taken_at, default=None)

    async def cohort(
        self, snapshot_id: str, key: CohortKey, *, histograms: bool = False
    ) -> CohortStats | None:
        """Return one cohort of a snapshot (its histograms always come with it here)."""
        record = next((r for r in self.items if r.snapshot_id == snapshot_id), None)
        return record.snapshot.cohorts.get(key) if record and record.snapshot else None

    async def cohorts(
        self, snapshot_id: str, keys: Sequence[CohortKey], *, histograms: bool = False
    ) -> dict[CohortKey, CohortStats]:
        """Return some cohorts of a snapshot."""
        found = {key: await self.cohort(snapshot_id, key) for key in keys}
        return {key: stats for key, stats in found.items() if stats is not None}


class MemoryStudyRepository:
    """Studies and results in dictionaries."""

    def __init__(self) -> None:
        self.items: dict[str, Study] = {}
        self.published: dict[str, StudyResults] = {}

    async def add(self, study: Study) -> None:
        """Store a new study."""
        self.items[study.study_id] = _copy(study)

    async def get(self, study_id: str) -> Study | None:
        """Return a study."""
        return _copy(self.items.get(study_id))

    async def save(self, study: Study) -> None:
        """Store a study's state."""
        self.items[study.study_id] = _copy(study)

    async def all(self) -> list[Study]:
        """List the studies, newest first."""
        return sorted((_copy(s) for s in self.items.values()), key=lambda s: s.opens_at, reverse=True)

    async def due(self, now: datetime) -> list[Study]:
        """Return the open studies past their closing date."""
        return [_copy(s) for s in self.items.values() if s.due(now)]

    async def add_results(self, results: StudyResults) -> None:
        """Store a study's results."""
        self.published[results.study_id] = results

    async def results(self, study_id: str) -> StudyResults | None:
        """Return a study's results."""
        return self.published.get(study_id)


class MemoryBenchmarkUnitOfWork(MemoryUnitOfWork, BenchmarkUnitOfWork):
    """The benchmark repositories in memory; committed events are kept in `events`."""

    def __init__(self) -> None:
        super().__init__()
        self.members = MemoryMemberRepository()
        self.entries = MemoryEntryRepository()
        self.plans = MemoryPlanRepository()
        self.snapshots = MemorySnapshotRepository()
        self.studies = MemoryStudyRepository()
        self.model_versions = MemoryModelVersions()
        self.revoked_keys = MemoryRevokedKeys()
        self.probe_answers = MemoryProbeAnswers()
