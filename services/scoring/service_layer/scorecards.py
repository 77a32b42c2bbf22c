"""Use cases of the scoring API: read a scorecard, the history, a what-if simulation."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from services.scoring.domain.peers import Comparison
from services.scoring.domain.scorecards import Progress, ScoredDiagnostic, progress
from services.scoring.service_layer.peers import comparison
from services.scoring.service_layer.unit_of_work import ScoringUnitOfWork
from shared.auth import Principal
from shared.errors import InvalidInput, NotFound, ServiceUnavailable
from shared.model.engine import Scorecard, score
from shared.model.schema import MaturityModel


@dataclass(frozen=True)
class ScoredView:
    """A scorecard with what it was computed from."""

    record: ScoredDiagnostic
    card: Scorecard
    model: MaturityModel
    progress: Progress | None
    comparison: Comparison = field(default_factory=lambda: Comparison(None))


def _may_read(principal: Principal, diagnostic_id: str) -> None:
    # A respondent, or a report link, reads its own diagnostic's scorecard and no other.
    if principal.is_respondent or principal.is_report_link:
        if principal.diagnostic_id != diagnostic_id:
            raise NotFound(f"No scorecard for diagnostic {diagnostic_id!r}.")
        return
    principal.require("diagnostics:read")


async def _record(principal: Principal, diagnostic_id: str, uow: ScoringUnitOfWork) -> ScoredDiagnostic:
    _may_read(principal, diagnostic_id)
    record = await uow.scorecards.get(principal.account_id, diagnostic_id)
    if record is None:
        raise NotFound(f"No scorecard for diagnostic {diagnostic_id!r} (yet).")
    return record


async def _model(record: ScoredDiagnostic, uow: ScoringUnitOfWork) -> MaturityModel:
    model = await uow.model_versions.get(record.model_id, record.model_version)
    if model is None:
        raise ServiceUnavailable(
            f"The model {record.model_id}@{record.model_version} is not available here yet."
        )
    return model


async def scorecard(principal: Principal, diagnostic_id: str, *, uow: ScoringUnitOfWork) -> ScoredView:
    """Return a diagnostic's scorecard with its progress since the previous one, and its peers."""
    record = await _record(principal, diagnostic_id, uow)
    model = await _model(record, uow)
    previous = await uow.scorecards.previous(record)
    peers = await comparison(principal, record, uow=uow)
    return ScoredView(record, score(model, record.input()), model, progress(record, previous), peers)


async def simulate(
    principal: Principal, diagnostic_id: str, levels: dict[str, int], *, uow: ScoringUnitOfWork
) -> ScoredView:
    """Return the scorecard that changed levels would give (nothing is stored)."""
    record = await _record(principal, diagnostic_id, uow)
    scope = set(record.levels) | set(record.not_applicable)
    outside = sorted(set(levels) - scope)
    if outside:
        raise InvalidInput(
            f"Not in this diagnostic's scope: {', '.join(outside)}.",
            errors=[{"path": "levels", "message": f"unknown: {outside}"}],
        )
    changed_na = tuple(c for c in record.not_applicable if c not in levels)
    simulated = replace(record, not_applicable=changed_na)
    model = await _model(record, uow)
    card = score(model, simulated.input(levels))
    previous = await uow.scorecards.previous(record)
    peers = await comparison(principal, record, uow=uow)
    return ScoredView(record, card, model, progress(record, previous), peers)


async def history(
    principal: Principal, organisation_id: str, *, uow: ScoringUnitOfWork
) -> tuple[list[ScoredDiagnostic], Progress | None]:
    """Return an organisation's scored diagnostics over time, and the latest progress."""
    principal.require("diagnostics:read")
    records = await uow.scorecards.history(principal.account_id, organisation_id)
    if not records:
        raise NotFound(f"No scored diagnostic for organisation {organisation_id!r}.")
    latest_progress = progress(records[-1], records[-2]) if len(records) > 1 else None
    return records, latest_progress
