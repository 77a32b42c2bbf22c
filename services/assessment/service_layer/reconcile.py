"""Reconciliation: work that has not reached its next step in time is sent on again."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from services.assessment.service_layer.unit_of_work import AssessmentUnitOfWork

logger = logging.getLogger(__name__)


async def resend_unscored(*, uow: AssessmentUnitOfWork, now: datetime, after: timedelta) -> int:
    """Send again the submitted event of diagnostics not scored `after` their submission.

    The event goes out with its own id: scoring skips it if it had it (and its scored event then
    comes back by scoring's own replay), scores it if it never arrived. Each diagnostic is sent
    again at most once per `after`, until it is scored or scoring reports a failure.
    """
    async with uow:
        waiting = await uow.diagnostics.unscored_since(now - after)
    if not waiting:
        return 0
    sent = await uow.submissions.resend(waiting, published_before=now - after)
    if sent:
        logger.warning("%d submitted diagnostics not scored after %s: their events sent again", sent, after)
    return sent
