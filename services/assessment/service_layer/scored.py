"""What assessment does when scoring reports on a submitted diagnostic."""

from __future__ import annotations

import logging

from services.assessment.adapters.diagnostics import DiagnosticRepository
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed
from shared.messaging.consumer import UnitOfWork

logger = logging.getLogger(__name__)


async def on_diagnostic_scored(event: DiagnosticScored, uow: UnitOfWork) -> None:
    """Mark the diagnostic scored."""
    if not await DiagnosticRepository(uow.db).mark_scored(
        event.diagnostic_id, at=event.scored_at, session=uow.session
    ):
        logger.info("scored event for a diagnostic that is not submitted (withdrawn or erased) ignored")


async def on_scoring_failed(event: DiagnosticScoringFailed, uow: UnitOfWork) -> None:
    """Keep the reason scoring gave up, on the diagnostic."""
    await DiagnosticRepository(uow.db).note_scoring_failure(
        event.diagnostic_id, event.reason, session=uow.session
    )
