"""Organisations as the watch service knows them: who owns them and their profile."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class WatchedOrganisation:
    """An organisation whose diagnostics are watched; an erased one keeps only a tombstone."""

    organisation_id: str
    account_id: str
    name: str
    sector: str
    size_band: str
    region: str
    organisation_type: str
    updated_at: datetime
    erased: bool = False

    def changed(self, other: WatchedOrganisation) -> WatchedOrganisation:
        """Return the newer of two announcements (an older one arriving late changes nothing)."""
        if self.erased or other.updated_at < self.updated_at:
            return self
        return other

    def erase(self, at: datetime) -> WatchedOrganisation:
        """Return the tombstone: no name, no profile, nothing to alert any more."""
        return replace(
            self,
            name="",
            sector="",
            size_band="",
            region="",
            organisation_type="",
            updated_at=at,
            erased=True,
        )
