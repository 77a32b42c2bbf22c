"""What scoring keeps of a diagnostic: its inputs and headline scores, and progress between two."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.scoring.domain.engine import DiagnosticInput, Scorecard


@dataclass(frozen=True)
class ScorecardRecord:
    """A scored diagnostic: what went in (to recompute the full card) and the headline figures."""

    diagnostic_id: str
    account_id: str
    organisation_id: str
    profile: dict[str, str]
    model_id: str
    model_version: str
    scope: str
    levels: dict[str, int]
    not_applicable: tuple[str, ...]
    divergences: tuple[dict[str, Any], ...]
    submitted_at: datetime
    scored_at: datetime
    assessed_at: datetime
    overall: float | None
    levers: dict[str, float | None] = field(default_factory=dict)
    percent_to_target: float = 0.0

    def input(self, levels: dict[str, int] | None = None) -> DiagnosticInput:
        """Return the engine's input (optionally with some levels changed, for a what-if)."""
        return DiagnosticInput(
            sector=self.profile.get("sector"),
            scope=self.scope,
            levels={**self.levels, **(levels or {})},
            not_applicable=frozenset(self.not_applicable),
        )


def headline(card: Scorecard) -> dict[str, Any]:
    """Return the figures history and progress need."""
    return {
        "overall": card.overall.score,
        "levers": {s.code: s.score for s in card.levers},
        "percent_to_target": card.percent_to_target,
    }


@dataclass(frozen=True)
class Progress:
    """Change since the previous scored diagnostic of the same organisation."""

    previous_diagnostic_id: str
    previous_assessed_at: datetime
    overall: float | None
    levers: dict[str, float | None]


def _delta(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def progress(current: ScorecardRecord, previous: ScorecardRecord | None) -> Progress | None:
    """Return the deltas per lever and overall, or None for a first diagnostic."""
    if previous is None:
        return None
    return Progress(
        previous_diagnostic_id=previous.diagnostic_id,
        previous_assessed_at=previous.assessed_at,
        overall=_delta(current.overall, previous.overall),
        levers={code: _delta(score, previous.levers.get(code)) for code, score in current.levers.items()},
    )
