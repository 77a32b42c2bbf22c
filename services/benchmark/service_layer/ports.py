"""What the benchmark use cases need from storage: repository protocols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from services.benchmark.domain.cohorts import CohortKey
from services.benchmark.domain.entries import ScoredEntry
from services.benchmark.domain.members import Member
from services.benchmark.domain.publications import SnapshotRecord, StudyResults
from services.benchmark.domain.snapshots import CohortStats
from services.benchmark.domain.studies import Study


class MemberRepository(Protocol):
    """Organisations known to the benchmark, each with the diagnostic that counts for it."""

    async def get(self, organisation_id: str) -> Member | None:
        """Return an organisation."""

    async def save(self, member: Member) -> None:
        """Store an organisation's state (created if new)."""

    async def forget(self, organisation_id: str) -> None:
        """Delete an organisation (erasure)."""

    async def contributing(self, model_id: str) -> list[Member]:
        """Return the organisations that contribute a diagnostic of this model."""


class EntryRepository(Protocol):
    """Every scored diagnostic still standing (the latest one counts; a withdrawal falls back)."""

    async def add(self, entry: ScoredEntry) -> None:
        """Store a scored diagnostic (again: no change)."""

    async def of_organisation(self, organisation_id: str) -> list[ScoredEntry]:
        """Return an organisation's scored diagnostics."""

    async def remove(self, diagnostic_id: str) -> str | None:
        """Delete a withdrawn diagnostic; return its organisation, or None if unknown."""

    async def forget_organisation(self, organisation_id: str) -> int:
        """Delete an erased organisation's diagnostics; return how many."""


class SnapshotRepository(Protocol):
    """Published snapshots: their cohorts are written first, then the snapshot is made current."""

    async def add(self, record: SnapshotRecord) -> None:
        """Store a snapshot and its cohorts."""

    async def latest(self, model_id: str) -> SnapshotRecord | None:
        """Return the newest published snapshot of a model (without its cohorts)."""

    async def cohort(
        self, snapshot_id: str, key: CohortKey, *, histograms: bool = False
    ) -> CohortStats | None:
        """Return one cohort of a snapshot (with its histograms, for percentile ranks, if asked)."""

    async def cohorts(
        self, snapshot_id: str, keys: Sequence[CohortKey], *, histograms: bool = False
    ) -> dict[CohortKey, CohortStats]:
        """Return some cohorts of a snapshot (those that exist), with their histograms if asked."""


class StudyRepository(Protocol):
    """National sector studies and their published results."""

    async def add(self, study: Study) -> None:
        """Store a new study."""

    async def get(self, study_id: str) -> Study | None:
        """Return a study."""

    async def save(self, study: Study) -> None:
        """Store a study's new state."""

    async def all(self) -> list[Study]:
        """List the studies, newest first."""

    async def due(self, now: datetime) -> list[Study]:
        """Return the open studies whose closing date has passed."""

    async def add_results(self, results: StudyResults) -> None:
        """Store a study's published results."""

    async def results(self, study_id: str) -> StudyResults | None:
        """Return a study's published results."""
