"""What assessment does when scoring reports on a submitted diagnostic."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from services.assessment.metrics import AssessmentMetrics
from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed

logger = logging.getLogger(__name__)


def diagnostic_scored_handler(
    metrics: AssessmentMetrics,
) -> Callable[[DiagnosticScored, AssessmentUnitOfWork], Awaitable[None]]:
    """Return the handler that marks a diagnostic scored and observes its submitted → scored time."""

    async def on_diagnostic_scored(event: DiagnosticScored, uow: AssessmentUnitOfWork) -> None:
        if not await uow.diagnostics.mark_scored(event.diagnostic_id, at=event.scored_at):
            logger.info("scored event for a diagnostic that is not submitted (withdrawn or erased) ignored")
            return
        # Only the first transition is observed: a redelivered event finds the diagnostic scored.
        metrics.scoring_latency.observe(max(0.0, (event.scored_at - event.submitted_at).total_seconds()))

    return on_diagnostic_scored


def scoring_failed_handler(
    metrics: AssessmentMetrics,
) -> Callable[[DiagnosticScoringFailed, AssessmentUnitOfWork], Awaitable[None]]:
    """Return the handler that keeps the reason scoring gave up, on the diagnostic, and counts it."""

    async def on_scoring_failed(event: DiagnosticScoringFailed, uow: AssessmentUnitOfWork) -> None:
        if await uow.diagnostics.note_scoring_failure(event.diagnostic_id, event.reason):
            metrics.scoring_failures.inc()

    return on_scoring_failed
