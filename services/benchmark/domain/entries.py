"""Scored diagnostics as the benchmark keeps them: enough to place an organisation in its cohorts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.events.contracts.scoring import DiagnosticScored

FULL_SCOPE = "full"


@dataclass(frozen=True)
class ScoredEntry:
    """One scored diagnostic: its levels (figures are computed again at each snapshot) and profile."""

    diagnostic_id: str
    organisation_id: str
    account_id: str
    model_id: str
    model_version: str
    scope: str
    assurance: str
    sector: str
    size_band: str
    region: str
    levels: dict[str, int]
    submitted_at: datetime
    scored_at: datetime

    @classmethod
    def of(cls, event: DiagnosticScored) -> ScoredEntry:
        """Keep what the benchmark needs of a scored event (no account data beyond the owner's id)."""
        return cls(
            diagnostic_id=event.diagnostic_id,
            organisation_id=event.organisation_id,
            account_id=event.account_id,
            model_id=event.model_id,
            model_version=event.model_version,
            scope=event.scope,
            assurance=event.assurance,
            sector=event.profile.sector,
            size_band=event.profile.size_band,
            region=event.profile.region,
            levels={
                i.code: i.level for i in event.indicators if i.level is not None and not i.not_applicable
            },
            submitted_at=event.submitted_at,
            scored_at=event.scored_at,
        )

    @property
    def quick(self) -> bool:
        """Tell whether it covers a profile only: then it counts for its indicators, never for scores."""
        return self.scope != FULL_SCOPE


def latest(entries: Iterable[ScoredEntry]) -> ScoredEntry | None:
    """Return the organisation's latest diagnostic: the last submitted (then the last scored)."""
    return max(entries, key=lambda e: (e.submitted_at, e.scored_at), default=None)
