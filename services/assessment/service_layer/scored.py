"""What assessment does when scoring reports on a submitted diagnostic."""

from __future__ import annotations

import logging

from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed

logger = logging.getLogger(__name__)


async def on_diagnostic_scored(event: DiagnosticScored, uow: AssessmentUnitOfWork) -> None:
    """Mark the diagnostic scored."""
    if not await uow.diagnostics.mark_scored(event.diagnostic_id, at=event.scored_at):
        logger.info("scored event for a diagnostic that is not submitted (withdrawn or erased) ignored")


async def on_scoring_failed(event: DiagnosticScoringFailed, uow: AssessmentUnitOfWork) -> None:
    """Keep the reason scoring gave up, on the diagnostic."""
    await uow.diagnostics.note_scoring_failure(event.diagnostic_id, event.reason)
