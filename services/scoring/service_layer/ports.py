"""What the scoring use cases need from storage: repository protocols."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from services.scoring.domain.peers import PeerSnapshot
from services.scoring.domain.scorecards import ScoredDiagnostic


class ScorecardRepository(Protocol):
    """Scored diagnostics, one per diagnostic, read within their account."""

    async def add(self, scored: ScoredDiagnostic) -> None:
        """Store a scored diagnostic."""

    async def get(self, account_id: str, diagnostic_id: str) -> ScoredDiagnostic | None:
        """Return one of the account's scored diagnostics."""

    async def history(self, account_id: str, organisation_id: str) -> list[ScoredDiagnostic]:
        """Return an organisation's scored diagnostics, oldest assessment first."""

    async def previous(self, scored: ScoredDiagnostic) -> ScoredDiagnostic | None:
        """Return the organisation's scored diagnostic assessed just before this one."""

    async def forget_organisation(self, organisation_id: str) -> int:
        """Delete an erased organisation's scored diagnostics (and withdrawal marks); return how many."""

    async def withdraw(self, diagnostic_id: str, organisation_id: str, *, at: datetime) -> bool:
        """Delete a withdrawn diagnostic's scorecard, marked never to be scored again; True if it had one."""

    async def was_withdrawn(self, diagnostic_id: str) -> bool:
        """Tell whether a diagnostic was withdrawn."""


class PeerCohortRepository(Protocol):
    """The cohorts of the latest benchmark snapshot of each model version."""

    async def taken_at(self, model_id: str, model_version: str) -> datetime | None:
        """Return when the snapshot kept for a model version was taken, or None if there is none."""

    async def replace(self, snapshot: PeerSnapshot) -> None:
        """Keep a snapshot's cohorts instead of those kept for its model version."""

    async def extend(self, snapshot: PeerSnapshot) -> None:
        """Add another part's cohorts to the snapshot kept (a part seen again changes nothing)."""

    async def around(
        self, model_id: str, model_version: str, *, profile: Mapping[str, str]
    ) -> PeerSnapshot | None:
        """Return the kept snapshot with only the cohorts of assurance `all` the profile belongs to."""
