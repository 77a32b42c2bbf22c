"""Organisations as the benchmark knows them: their profile, their account, whether they contribute."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.benchmark.domain.entries import ScoredEntry, latest
from shared.errors import NotFound

PROVISIONAL = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Member:
    """An organisation whose diagnostics may count: its cohorts come from its current profile."""

    organisation_id: str
    account_id: str
    sector: str
    size_band: str
    region: str
    organisation_type: str
    updated_at: datetime
    contributing: bool = True
    latest: ScoredEntry | None = None
    erased: bool = False

    @classmethod
    def provisional(cls, entry: ScoredEntry) -> Member:
        """Know an organisation from its first scored diagnostic, until its own events arrive."""
        return cls(
            organisation_id=entry.organisation_id,
            account_id=entry.account_id,
            sector=entry.sector,
            size_band=entry.size_band,
            region=entry.region,
            organisation_type="",
            updated_at=PROVISIONAL,
        )

    def profile_changed(
        self, *, sector: str, size_band: str, region: str, organisation_type: str, at: datetime
    ) -> None:
        """Move the organisation to the cohorts of its new profile (from the next snapshot)."""
        if at < self.updated_at:
            return  # an older update arriving late changes nothing
        self.sector, self.size_band, self.region = sector, size_band, region
        self.organisation_type, self.updated_at = organisation_type, at

    def counted(self, entries: list[ScoredEntry]) -> None:
        """Count the latest of the organisation's remaining scored diagnostics (none: it leaves)."""
        self.latest = latest(entries)

    def erase(self) -> None:
        """Forget everything but the id: a scored event still in flight must not bring it back."""
        self.erased, self.latest, self.contributing = True, None, False
        self.sector = self.size_band = self.region = self.organisation_type = ""

    def set_contributing(self, contributing: bool) -> None:
        """Opt out of (or back into) the statistics; the organisation still sees the benchmark."""
        self.contributing = contributing


def owned(member: Member | None, account_id: str, organisation_id: str) -> Member:
    """Return the account's organisation, or refuse as if it did not exist (tenant isolation)."""
    if member is None or member.erased or member.account_id != account_id:
        raise NotFound(f"No organisation {organisation_id!r} known to the benchmark.")
    return member
