"""In-memory fakes of the scoring repositories and unit of work, for unit tests of use cases."""

from __future__ import annotations

import copy

from services.scoring.domain.scorecards import ScoredDiagnostic
from services.scoring.service_layer.unit_of_work import ScoringUnitOfWork
from shared.adapters.probes import MemoryProbeAnswers
from shared.adapters.replicas import MemoryModelVersions, MemoryRevokedKeys
from shared.unit_of_work import MemoryUnitOfWork


class MemoryScorecardRepository:
    """Scored diagnostics in a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, ScoredDiagnostic] = {}

    async def add(self, scored: ScoredDiagnostic) -> None:
        """Store a scored diagnostic (a second one for the same diagnostic is refused, as by the database)."""
        if scored.diagnostic_id in self.items:
            raise KeyError(f"{scored.diagnostic_id} is already scored")
        self.items[scored.diagnostic_id] = copy.deepcopy(scored)

    async def get(self, account_id: str, diagnostic_id: str) -> ScoredDiagnostic | None:
        """Return one of the account's scored diagnostics."""
        found = self.items.get(diagnostic_id)
        return copy.deepcopy(found) if found and found.account_id == account_id else None

    async def history(self, account_id: str, organisation_id: str) -> list[ScoredDiagnostic]:
        """Return an organisation's scored diagnostics, oldest assessment first."""
        found = [
            s
            for s in self.items.values()
            if s.account_id == account_id and s.organisation_id == organisation_id
        ]
        return [copy.deepcopy(s) for s in sorted(found, key=lambda s: s.assessed_at)]

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
        return len(gone)


class MemoryScoringUnitOfWork(MemoryUnitOfWork, ScoringUnitOfWork):
    """The scoring repositories in memory; committed events are kept in `events`."""

    def __init__(self) -> None:
        super().__init__()
        self.scorecards = MemoryScorecardRepository()
        self.model_versions = MemoryModelVersions()
        self.revoked_keys = MemoryRevokedKeys()
        self.probe_answers = MemoryProbeAnswers()
