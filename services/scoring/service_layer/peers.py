"""Use cases of the peer comparison: keep the latest benchmark snapshot, compare a scorecard with it."""

from __future__ import annotations

import logging

from services.scoring.domain.peers import (
    PEERS_PLAN,
    Comparison,
    PeerSnapshot,
    compare,
    may_compare,
    newer,
    same,
)
from services.scoring.domain.scorecards import ScoredDiagnostic
from services.scoring.service_layer.unit_of_work import ScoringUnitOfWork
from shared.auth import Principal
from shared.events.contracts.benchmark import SnapshotPublished

logger = logging.getLogger(__name__)


async def keep_snapshot(event: SnapshotPublished, uow: ScoringUnitOfWork) -> None:
    """Keep a snapshot's cohorts instead of the previous snapshot's; ignore one older than that.

    A snapshot travels in parts: the first part of a newer snapshot replaces what is kept, the
    next parts of the same snapshot add their cohorts to it.
    """
    snapshot = PeerSnapshot.of(event)
    kept = await uow.peer_cohorts.taken_at(snapshot.model_id, snapshot.model_version)
    if same(snapshot, kept):
        await uow.peer_cohorts.extend(snapshot)
        return
    if not newer(snapshot, kept):
        # Snapshots of one model may travel on several partitions: a late one must not win.
        logger.info(
            "ignored snapshot %s of %s@%s taken at %s: the one kept was taken at %s",
            snapshot.snapshot_id,
            snapshot.model_id,
            snapshot.model_version,
            snapshot.taken_at,
            kept,
        )
        return
    await uow.peer_cohorts.replace(snapshot)


async def comparison(principal: Principal, record: ScoredDiagnostic, *, uow: ScoringUnitOfWork) -> Comparison:
    """Return the organisation's peers for a premium caller; tell other callers which plan has them."""
    if not may_compare(principal.plan):
        return Comparison(None, needs_plan=PEERS_PLAN)
    snapshot = await uow.peer_cohorts.around(record.model_id, record.model_version, profile=record.profile)
    return Comparison(compare(snapshot, record.profile))
