"""In-memory fakes of the scoring repositories and unit of work, for unit tests of use cases."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from services.scoring.domain.peers import PeerSnapshot
from services.scoring.domain.scorecards import ScoredDiagnostic
from services.scoring.service_layer.unit_of_work import ScoringUnitOfWork
from shared.adapters.probes import MemoryProbeAnswers
from shared.adapters.replicas import MemoryModelVersions, MemoryRevokedKeys
from shared.aggregate import Aggregate
from shared.unit_of_work import MemoryUnitOfWork

T = TypeVar("T")


def _copy(item: T) -> T:
    """Hand out copies, as a database does, without the events recorded before the item was saved."""
    copied = copy.deepcopy(item)
    if isinstance(copied, Aggregate):
        copied.pull_events()
    return copied


class MemoryScorecardRepository:
    """Scored diagnostics in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, ScoredDiagnostic] = {}
        self.withdrawn: dict[str, str] = {}

    async def add(self, scored: ScoredDiagnostic) -> None:
        """Store a scored diagnostic (a second one for the same diagnostic is refused, as by the database)."""
        if scored.diagnostic_id in self.items:
            raise KeyError(f"{scored.diagnostic_id} is already scored")
        self.items[scored.diagnostic_id] = _copy(scored)

    async def get(self, account_id: str, diagnostic_id: str) -> ScoredDiagnostic | None:
        """Return one of the account's scored diagnostics."""
        found = self.items.get(diagnostic_id)
        return _copy(found) if found and found.account_id == account_id else None

    async def history(self, account_id: str, organisation_id: str) -> list[ScoredDiagnostic]:
        """Return an organisation's scored diagnostics, oldest assessment first."""
        found = [
            s
            for s in self.items.values()
            if s.account_id == account_id and s.organisation_id == organisation_id
        ]
        return [_copy(s) for s in sorted(found, key=lambda s: s.assessed_at)]

    async def previous(self, scored: ScoredDiagnostic) -> ScoredDiagnostic | None:
        """Return the organisation's scored diagnostic assessed just before this one."""
        earlier = [
            s
            for s in await self.history(scored.account_id, scored.organisation_id)
            if s.assessed_at < scored.assessed_at
        ]
        return earlier[-1] if earlier else None

    async def forget_organisation(self, organisation_id: str) -> int:
        """Delete an erased organisation's scored diagnostics; return how many."""
        gone = [i for i, s in self.items.items() if s.organisation_id == organisation_id]
        for diagnostic_id in gone:
            del self.items[diagnostic_id]
        self.withdrawn = {d: o for d, o in self.withdrawn.items() if o != organisation_id}
        return len(gone)

    async def withdraw(self, diagnostic_id: str, organisation_id: str, *, at: datetime) -> bool:
        """Delete a withdrawn diagnostic's scorecard and mark it; True if there was one."""
        self.withdrawn[diagnostic_id] = organisation_id
        return self.items.pop(diagnostic_id, None) is not None

    async def was_withdrawn(self, diagnostic_id: str) -> bool:
        """Tell whether a diagnostic was withdrawn."""
        return diagnostic_id in self.withdrawn


class MemoryPeerCohortRepository:
    """The latest snapshot of each model version, in a dictionary."""

    def __init__(self) -> None:
        self.snapshots: dict[tuple[str, str], PeerSnapshot] = {}

    async def taken_at(self, model_id: str, model_version: str) -> datetime | None:
        """Return when the snapshot kept for a model version was taken, or None if there is none."""
        kept = self.snapshots.get((model_id, model_version))
        return kept.taken_at if kept else None

    async def replace(self, snapshot: PeerSnapshot) -> None:
        """Keep a snapshot's cohorts instead of those kept for its model version."""
        self.snapshots[(snapshot.model_id, snapshot.model_version)] = snapshot

    async def extend(self, snapshot: PeerSnapshot) -> None:
        """Add another part's cohorts to the snapshot kept."""
        kept = self.snapshots[(snapshot.model_id, snapshot.model_version)]
        known = {c.key for c in kept.cohorts}
        added = tuple(c for c in snapshot.cohorts if c.key not in known)
        self.snapshots[(snapshot.model_id, snapshot.model_version)] = replace(
            kept, cohorts=kept.cohorts + added
        )

    async def around(
        self, model_id: str, model_version: str, *, profile: Mapping[str, str]
    ) -> PeerSnapshot | None:
        """Return the kept snapshot with only the cohorts of assurance `all` the profile belongs to."""
        kept = self.snapshots.get((model_id, model_version))
        return kept.around(profile) if kept else None


class MemoryScoringUnitOfWork(MemoryUnitOfWork, ScoringUnitOfWork):
    """The scoring repositories in memory; committed events are kept in `events`."""

    def __init__(self) -> None:
        super().__init__()
        self.scorecards = MemoryScorecardRepository()
        self.peer_cohorts = MemoryPeerCohortRepository()
        self.model_versions = MemoryModelVersions()
        self.revoked_keys = MemoryRevokedKeys()
        self.probe_answers = MemoryProbeAnswers()
