"""The latest scored diagnostic of an organisation, as the watch service keeps it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.events.contracts.scoring import DiagnosticScored

FULL_SCOPE = "full"


@dataclass(frozen=True)
class WatchedDiagnostic:
    """A scored diagnostic: its levels (None = N/A or unanswered), profile and scores."""

    organisation_id: str
    account_id: str
    diagnostic_id: str
    model_id: str
    model_version: str
    scope: str | None
    """The quick profile it covers, or None for a full diagnostic."""
    sector: str
    size_band: str
    region: str
    organisation_type: str
    levels: dict[str, int | None]
    """Every indicator of its scope in its model version; None when N/A or unanswered."""
    overall: float | None
    levers: dict[str, float]
    scored_at: datetime

    @classmethod
    def of(cls, event: DiagnosticScored) -> WatchedDiagnostic:
        """Keep what the watch needs of a scored event."""
        return cls(
            organisation_id=event.organisation_id,
            account_id=event.account_id,
            diagnostic_id=event.diagnostic_id,
            model_id=event.model_id,
            model_version=event.model_version,
            scope=None if event.scope == FULL_SCOPE else event.scope,
            sector=event.profile.sector,
            size_band=event.profile.size_band,
            region=event.profile.region,
            organisation_type=event.profile.organisation_type,
            levels={i.code: None if i.not_applicable else i.level for i in event.indicators},
            overall=event.overall,
            levers={code: score for code, score in event.levers.items() if score is not None},
            scored_at=event.scored_at,
        )

    def answered(self, code: str) -> bool:
        """Tell whether the diagnostic has a level for an indicator."""
        return self.levels.get(code) is not None

    def newer_than(self, other: WatchedDiagnostic) -> bool:
        """Tell whether this diagnostic replaces another: later scored, then the larger id."""
        return (self.scored_at, self.diagnostic_id) > (other.scored_at, other.diagnostic_id)
