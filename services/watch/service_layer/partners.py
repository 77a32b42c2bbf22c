"""Partner feeds: follow partners and grants, and send each consented event to its partners.

An event goes, once per partner, on three feeds at the same time and with the same id: the
partner's pull feed (numbered), one signed webhook message per enabled endpoint of the partner
that wants its type, and the partner's own Kafka topic (through the outbox, in the same
transaction). A revoked grant stops the events that happen after its revocation; events
already sent are not recalled.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from services.watch.domain.deliveries import Delivery, Message, RetrySchedule
from services.watch.domain.organisations import WatchedOrganisation
from services.watch.domain.partners import (
    FeedEvent,
    KnownGrant,
    KnownPartner,
    feed_event,
    kind_of,
    partner_organisation,
    recipients,
)
from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.auth import Principal
from shared.errors import Forbidden, InvalidInput
from shared.events.contracts.assessment import (
    OrganisationProfile,
    PartnerGrantGiven,
    PartnerGrantRevoked,
    PartnerRegistered,
    PartnerUpdated,
)
from shared.events.contracts.benchmark import StudyPublished
from shared.events.contracts.partner import (
    PartnerDiagnosticScored,
    PartnerOrganisation,
    PartnerOrganisationAffected,
    PartnerScoringFailed,
    PartnerStudyPublished,
    partner_topic,
)
from shared.events.contracts.scoring import DiagnosticScored, DiagnosticScoringFailed
from shared.events.contracts.watch import OrganisationAffected
from shared.events.envelope import Event
from shared.mongo import utc_now

logger = logging.getLogger(__name__)

MAX_PAGE = 1_000


class PartnerTopics(Protocol):
    """Where a partner's Kafka topic is provisioned (and kept, should the broker lose it)."""

    async def ensure(self, partner_id: str) -> None:
        """Make sure the partner's topic exists before any event is staged for it."""


Handler = Callable[[Any, WatchUnitOfWork], Awaitable[None]]


def partner_known(topics: PartnerTopics) -> Handler:
    """Return the handler that follows a partner's registration or change, its topic provisioned first."""

    async def handle(event: PartnerRegistered | PartnerUpdated, uow: WatchUnitOfWork) -> None:
        if isinstance(event, PartnerRegistered):
            announced = KnownPartner(
                event.partner_id, event.name, tuple(event.event_kinds), True, event.registered_at
            )
        else:
            announced = KnownPartner(
                event.partner_id, event.name, tuple(event.event_kinds), event.active, event.updated_at
            )
        await topics.ensure(event.partner_id)
        known = await uow.partner_feeds.partner(event.partner_id)
        await uow.partner_feeds.save_partner(announced if known is None else known.newer(announced))

    return handle


def grant_given(schedule: RetrySchedule) -> Handler:
    """Return the handler that follows a new grant, and sends the latest scorecard when it is due.

    With `backfill`, the organisation's latest scorecard goes at once. Without, it goes only if it
    was made after the grant was given: the scored event arrived before the grant (two topics,
    no order between them) and would otherwise be missed.
    """

    async def handle(event: PartnerGrantGiven, uow: WatchUnitOfWork) -> None:
        grant = KnownGrant(
            event.grant_id,
            event.partner_id,
            event.organisation_id,
            tuple(event.event_kinds),
            event.given_at,
            expires_at=event.expires_at,
            backfill=event.backfill,
        )
        known = await uow.partner_feeds.grant(event.grant_id)
        if known is not None and known.revoked_at is not None:
            grant = grant.ended(known.revoked_at)  # the revocation (or the erasure) came first
        await uow.partner_feeds.save_grant(grant)
        last = await uow.partner_feeds.last_scored(event.organisation_id)
        partner = await uow.partner_feeds.partner(event.partner_id)
        if last is None or partner is None or not partner.receives("diagnostic.scored"):
            return
        scored_at, summary = last
        if grant.carries("diagnostic.scored", scored_at) or (
            grant.backfill and grant.carries("diagnostic.scored", event.given_at)
        ):
            organisation = await uow.organisations.get(event.organisation_id)
            if organisation is None or organisation.erased:
                return
            payload = PartnerDiagnosticScored(
                organisation_id=event.organisation_id,
                organisation=partner_organisation(organisation),
                **summary,
            )
            await _send(
                uow, partner.partner_id, payload, summary["diagnostic_id"], event.organisation_id, schedule
            )

    return handle


async def grant_revoked(event: PartnerGrantRevoked, uow: WatchUnitOfWork) -> None:
    """Stop a grant's events from its revocation on (a revocation arriving first is kept too)."""
    known = await uow.partner_feeds.grant(event.grant_id) or KnownGrant(
        event.grant_id, event.partner_id, event.organisation_id, (), event.revoked_at
    )
    await uow.partner_feeds.save_grant(known.ended(event.revoked_at))


def _summary(event: DiagnosticScored) -> dict[str, Any]:
    return {
        "diagnostic_id": event.diagnostic_id,
        "model_id": event.model_id,
        "model_version": event.model_version,
        "scope": event.scope,
        "assurance": event.assurance,
        "overall": event.overall,
        "levers": event.levers,
        "percent_to_target": event.percent_to_target,
        "submitted_at": event.submitted_at.isoformat(),
        "scored_at": event.scored_at.isoformat(),
    }


def _described(
    known: WatchedOrganisation | None, profile: OrganisationProfile | None = None
) -> PartnerOrganisation:
    if known is not None and not known.erased:
        return partner_organisation(known)
    # Not announced yet (its topic is behind): the profile the event carries, without a name.
    return PartnerOrganisation(
        name="",
        sector=profile.sector if profile else "",
        size_band=profile.size_band if profile else "",
        region=profile.region if profile else "",
        organisation_type=profile.organisation_type if profile else "",
    )


def diagnostic_scored(schedule: RetrySchedule) -> Handler:
    """Return the handler that sends a scored diagnostic to the partners its organisation granted."""

    async def handle(event: DiagnosticScored, uow: WatchUnitOfWork) -> None:
        known = await uow.organisations.get(event.organisation_id)
        if known is not None and known.erased:
            return
        summary = _summary(event)
        await uow.partner_feeds.remember_scored(event.organisation_id, event.scored_at, summary)
        payload = PartnerDiagnosticScored(
            organisation_id=event.organisation_id,
            organisation=_described(known, event.profile),
            **summary,
        )
        await publish(
            uow, payload, event.diagnostic_id, event.organisation_id, at=event.scored_at, schedule=schedule
        )

    return handle


def scoring_failed(schedule: RetrySchedule) -> Handler:
    """Return the handler that tells the granted partners a diagnostic could not be scored."""

    async def handle(event: DiagnosticScoringFailed, uow: WatchUnitOfWork) -> None:
        known = await uow.organisations.get(event.organisation_id)
        if known is not None and known.erased:
            return
        payload = PartnerScoringFailed(
            organisation_id=event.organisation_id,
            organisation=_described(known),
            diagnostic_id=event.diagnostic_id,
            failed_at=event.failed_at,
        )
        source = f"{event.diagnostic_id}|{event.failed_at.isoformat()}"
        await publish(uow, payload, source, event.organisation_id, at=event.failed_at, schedule=schedule)

    return handle


async def organisation_affected(
    uow: WatchUnitOfWork, event: OrganisationAffected, *, schedule: RetrySchedule
) -> int:
    """Send an alert's event (a notice touching the latest diagnostic) to the granted partners."""
    known = await uow.organisations.get(event.organisation_id)
    if known is not None and known.erased:
        return 0
    payload = PartnerOrganisationAffected(
        organisation_id=event.organisation_id,
        organisation=_described(known),
        notice_id=event.notice_id,
        diagnostic_id=event.diagnostic_id,
        notice_kind=event.kind,
        severity=event.severity,
        indicators=[i.code for i in event.indicators],
        deadline=event.deadline,
        affected_at=event.affected_at,
    )
    source = f"{event.notice_id}|{event.diagnostic_id}"
    return await publish(uow, payload, source, event.organisation_id, at=event.affected_at, schedule=schedule)


def study_published(schedule: RetrySchedule) -> Handler:
    """Return the handler sending a study to partners granted studies by an organisation of its sector."""

    async def handle(event: StudyPublished, uow: WatchUnitOfWork) -> None:
        live = [
            g
            for g in await uow.partner_feeds.grants_with_kind("study.published")
            if g.carries("study.published", event.published_at)
        ]
        in_sector = []
        for grant in live:
            organisation = await uow.organisations.get(grant.organisation_id)
            if organisation is not None and not organisation.erased and organisation.sector == event.sector:
                in_sector.append(grant)
        payload = PartnerStudyPublished(
            study_id=event.study_id,
            title=event.title,
            sector=event.sector,
            model_id=event.model_id,
            model_version=event.model_version,
            participants=event.participants,
            results=event.results,
            published_at=event.published_at,
        )
        partners = await _partners(uow, in_sector)
        for partner_id in recipients("study.published", event.published_at, in_sector, partners):
            await _send(uow, partner_id, payload, event.study_id, None, schedule)

    return handle


async def _partners(uow: WatchUnitOfWork, grants: list[KnownGrant]) -> dict[str, KnownPartner]:
    found: dict[str, KnownPartner] = {}
    for partner_id in {g.partner_id for g in grants}:
        partner = await uow.partner_feeds.partner(partner_id)
        if partner is not None:
            found[partner_id] = partner
    return found


async def publish(
    uow: WatchUnitOfWork,
    payload: Event,
    source_key: str,
    organisation_id: str,
    *,
    at: datetime,
    schedule: RetrySchedule,
) -> int:
    """Send an organisation's event to every partner it had a live grant to at `at`; return how many."""
    grants = await uow.partner_feeds.grants_of(organisation_id)
    partners = await _partners(uow, grants)
    kind = kind_of(payload)
    sent = 0
    for partner_id in recipients(kind, at, grants, partners):
        sent += await _send(uow, partner_id, payload, source_key, organisation_id, schedule)
    return sent


async def _send(
    uow: WatchUnitOfWork,
    partner_id: str,
    payload: Event,
    source_key: str,
    organisation_id: str | None,
    schedule: RetrySchedule,
) -> int:
    """Put one event on a partner's three feeds; 0 if it was there already (a redelivered source)."""
    at = utc_now()
    stored = await uow.partner_feeds.append(
        feed_event(partner_id, source_key, payload, organisation_id=organisation_id, at=at)
    )
    if stored is None:
        return 0
    body = webhook_body(stored)
    for endpoint in await uow.endpoints.of_account(partner_id):
        if endpoint.enabled and endpoint.accepts(stored.type):
            message = Message.new(endpoint_id=endpoint.id, event_type=stored.type, payload=body, at=at)
            await uow.deliveries.add(
                Delivery.start(message, schedule), message, organisation_id=organisation_id
            )
    uow.emit(
        payload, subject=payload.contract_subject(), topic=partner_topic(partner_id), event_id=stored.event_id
    )
    return 1


def webhook_body(event: FeedEvent) -> bytes:
    """Return a partner's webhook body as Standard Webhooks suggests: its id, type, timestamp and data."""
    return json.dumps(
        {"id": event.event_id, "type": event.type, "timestamp": event.time.isoformat(), "data": event.data},
        ensure_ascii=False,
    ).encode()


def parse_cursor(cursor: str | None) -> int:
    """Read a feed cursor (the sequence of the last event read); none: from the start."""
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 18:
        raise InvalidInput(
            "The cursor is not valid.", errors=[{"path": "after", "message": "invalid cursor"}]
        )
    return int(cursor)


async def active_partner(principal: Principal, *, uow: WatchUnitOfWork) -> KnownPartner:
    """Return the calling partner if it is known and active; refuse a suspended or unknown one."""
    assert principal.partner_id is not None
    partner = await uow.partner_feeds.partner(principal.partner_id)
    if partner is None or not partner.active:
        raise Forbidden("This partner is suspended or not known to this service.")
    return partner


async def feed_page(
    principal: Principal, *, after: str | None, limit: int, uow: WatchUnitOfWork
) -> tuple[list[FeedEvent], str | None]:
    """Return the calling partner's events after a cursor, and the cursor to ask from next."""
    principal.require("partner:events")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(
            f"A page holds 1 to {MAX_PAGE} events.", errors=[{"path": "limit", "message": "out of range"}]
        )
    start = parse_cursor(after)
    async with uow:
        partner = await active_partner(principal, uow=uow)
        events = await uow.partner_feeds.page(partner.partner_id, after=start, limit=limit)
    return events, str(events[-1].sequence) if events else after
