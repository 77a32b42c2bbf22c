"""What the scoring service does with the events it consumes."""

from __future__ import annotations

import logging

from services.scoring.adapters.store import ModelStore, ScorecardStore
from services.scoring.domain.engine import DiagnosticInput, Scorecard, score
from services.scoring.domain.records import ScorecardRecord, headline
from shared.events.contracts.assessment import ApiKeyRevoked, DiagnosticSubmitted, OrganisationErased
from shared.events.contracts.catalogue import ModelPublished
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed, IndicatorScore
from shared.messaging.consumer import GiveUpHandler, Handler, PermanentError, UnitOfWork
from shared.model.schema import MaturityModel
from shared.model.validation import InvalidModel, parse_model
from shared.mongo import utc_now

logger = logging.getLogger(__name__)


class UnknownModelVersion(RuntimeError):
    """The diagnostic pinned a model version no `model.published` event announced (yet)."""


def model_published_handler(cache: dict[str, MaturityModel]) -> Handler:
    """Keep a copy of every published model version."""

    async def on_model_published(event: ModelPublished, uow: UnitOfWork) -> None:
        try:
            model = parse_model(event.document)
        except InvalidModel as exc:
            raise PermanentError(
                f"{event.model_id}@{event.version} is not a valid model: {exc.problems[:3]}"
            ) from exc
        await ModelStore(uow.db, cache).keep(model, session=uow.session)

    return on_model_published


def scored_event(record: ScorecardRecord, card: Scorecard) -> DiagnosticScored:
    """Build the public scored event of a scorecard."""
    return DiagnosticScored(
        diagnostic_id=record.diagnostic_id,
        organisation_id=record.organisation_id,
        account_id=record.account_id,
        profile=record.profile,
        model_id=record.model_id,
        model_version=record.model_version,
        scope=record.scope,
        overall=card.overall.score,
        levers={s.code: s.score for s in card.levers},
        groupements={s.code: s.score for s in card.groupements},
        indicators=[
            IndicatorScore(
                code=i.code,
                lever=i.lever,
                groupement=i.groupement,
                level=i.level,
                not_applicable=i.not_applicable,
                target=i.target,
                gap=i.gap,
            )
            for i in card.indicators
        ],
        percent_to_target=card.percent_to_target,
        submitted_at=record.submitted_at,
        scored_at=record.scored_at,
    )


def diagnostic_submitted_handler(cache: dict[str, MaturityModel]) -> Handler:
    """Score a submitted diagnostic, store the scorecard and announce it, in one transaction."""

    async def on_diagnostic_submitted(event: DiagnosticSubmitted, uow: UnitOfWork) -> None:
        model = await ModelStore(uow.db, cache).get(event.model_id, event.model_version)
        if model is None:
            raise UnknownModelVersion(f"unknown model version {event.model_id}@{event.model_version}")
        card = score(
            model,
            DiagnosticInput(
                sector=event.profile.sector,
                scope=event.scope,
                levels=event.levels,
                not_applicable=frozenset(event.not_applicable),
            ),
        )
        record = ScorecardRecord(
            diagnostic_id=event.diagnostic_id,
            account_id=event.account_id,
            organisation_id=event.organisation_id,
            profile=event.profile.model_dump(),
            model_id=event.model_id,
            model_version=event.model_version,
            scope=event.scope,
            levels=dict(event.levels),
            not_applicable=tuple(event.not_applicable),
            divergences=tuple(d.model_dump() for d in event.divergences),
            submitted_at=event.submitted_at,
            scored_at=utc_now(),
            assessed_at=event.assessed_at or event.submitted_at,
            **headline(card),
        )
        await ScorecardStore(uow.db).add(record, session=uow.session)
        await uow.emit(scored_event(record, card), subject=event.organisation_id)

    return on_diagnostic_submitted


async def on_scoring_given_up(event: DiagnosticSubmitted, uow: UnitOfWork, error: str) -> None:
    """Tell the platform a diagnostic could not be scored, once its event was dead-lettered."""
    failed = DiagnosticScoringFailed(
        diagnostic_id=event.diagnostic_id,
        organisation_id=event.organisation_id,
        account_id=event.account_id,
        reason=error[:500],
        failed_at=utc_now(),
    )
    await uow.emit(failed, subject=event.organisation_id)


async def on_organisation_erased(event: OrganisationErased, uow: UnitOfWork) -> None:
    """Forget an erased organisation's scorecards."""
    deleted = await ScorecardStore(uow.db).forget_organisation(event.organisation_id, session=uow.session)
    logger.info("forgot %d scorecard(s) of an erased organisation", deleted)


GIVE_UP: dict[str, GiveUpHandler] = {DiagnosticSubmitted.event_type: on_scoring_given_up}


async def on_api_key_revoked(event: ApiKeyRevoked, uow: UnitOfWork) -> None:
    """Remember a revoked key, so the tokens it obtained are refused here too."""
    await uow.db["revoked_keys"].update_one(
        {"_id": event.client_id},
        {"$setOnInsert": {"revoked_at": event.revoked_at}},
        upsert=True,
        session=uow.session,
    )
