"""What the scoring service does with the events it consumes."""

from __future__ import annotations

import logging

from services.scoring.domain.scorecards import ScoredDiagnostic
from services.scoring.service_layer.unit_of_work import ScoringUnitOfWork
from shared.events.contracts.assessment import DiagnosticSubmitted, DiagnosticWithdrawn, OrganisationErased
from shared.events.contracts.scoring import DiagnosticScoringFailed
from shared.events.handling import WaitingFor, model_version
from shared.mongo import utc_now

logger = logging.getLogger(__name__)


async def score_submission(event: DiagnosticSubmitted, uow: ScoringUnitOfWork) -> None:
    """Score a submitted diagnostic and announce it; wait for its model version if not seen yet."""
    if await uow.scorecards.was_withdrawn(event.diagnostic_id):
        # Parked for its model version, it can come back after the withdrawal: nothing to score.
        logger.info("a submission withdrawn before it was scored; ignored")
        return
    model = await uow.model_versions.get(event.model_id, event.model_version)
    if model is None:
        # `model.published` travels on another partition: it may simply not have arrived yet.
        raise WaitingFor(model_version(event.model_id, event.model_version))
    scored = ScoredDiagnostic.score(event, model, at=utc_now())
    await uow.scorecards.add(scored)
    uow.collect(scored)


async def report_scoring_failure(event: DiagnosticSubmitted, uow: ScoringUnitOfWork, error: str) -> None:
    """Tell the platform a diagnostic could not be scored, once its event was dead-lettered."""
    failed = DiagnosticScoringFailed(
        diagnostic_id=event.diagnostic_id,
        organisation_id=event.organisation_id,
        account_id=event.account_id,
        reason=error[:500],
        failed_at=utc_now(),
    )
    uow.emit(failed, subject=event.organisation_id)


async def forget_organisation(event: OrganisationErased, uow: ScoringUnitOfWork) -> None:
    """Forget an erased organisation's scorecards."""
    deleted = await uow.scorecards.forget_organisation(event.organisation_id)
    logger.info("forgot %d scorecard(s) of an erased organisation", deleted)


async def withdraw_scorecard(event: DiagnosticWithdrawn, uow: ScoringUnitOfWork) -> None:
    """Take a withdrawn diagnostic's scorecard out of reads, history and progress (for good)."""
    removed = await uow.scorecards.withdraw(event.diagnostic_id, event.organisation_id, at=event.withdrawn_at)
    logger.info("withdrawn diagnostic: scorecard %s", "removed" if removed else "absent")
