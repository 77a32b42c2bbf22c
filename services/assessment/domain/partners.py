"""Partners and the grants organisations give them: who may receive which events, with consent evidence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.aggregate import Aggregate
from shared.auth import PARTNER_SCOPES
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.events.contracts.assessment import (
    GrantEnd,
    GrantGiver,
    PartnerEventKind,
    PartnerGrantGiven,
    PartnerGrantRevoked,
    PartnerRegistered,
    PartnerUpdated,
)
from shared.events.contracts.partner import PARTNER_EVENT_KINDS

PARTNER_ID_PREFIX = "ptn_"
#: The `plan` claim of a partner's token (partners have no plan; the claim is always there).
PARTNER_PLAN = "partner"
MAX_NAME = 200


def is_partner_id(owner_id: str) -> bool:
    """Tell whether an API key's owner is a partner (its id) rather than an account."""
    return owner_id.startswith(PARTNER_ID_PREFIX)


def checked_kinds(kinds: Iterable[str], *, path: str = "event_kinds") -> tuple[PartnerEventKind, ...]:
    """Refuse an empty list or an unknown kind; keep each kind once, in the contract's order."""
    wanted = set(kinds)
    unknown = sorted(wanted - set(PARTNER_EVENT_KINDS))
    if unknown:
        raise InvalidInput(
            f"Unknown event kind(s): {', '.join(unknown)}.",
            errors=[{"path": path, "message": f"choose from {list(PARTNER_EVENT_KINDS)}"}],
        )
    if not wanted:
        raise InvalidInput("Name at least one event kind.", errors=[{"path": path, "message": "empty"}])
    return tuple(k for k in PARTNER_EVENT_KINDS if k in wanted)


def _checked_name(name: str) -> str:
    stripped = name.strip()
    if not stripped or len(stripped) > MAX_NAME:
        raise InvalidInput(
            f"A partner's name has 1 to {MAX_NAME} characters.",
            errors=[{"path": "name", "message": "length"}],
        )
    return stripped


@dataclass
class Partner(Aggregate):
    """A bank, an insurer, a chamber of commerce or a consultancy that receives consented events."""

    partner_id: str
    name: str
    event_kinds: tuple[PartnerEventKind, ...]
    created_at: datetime
    active: bool = True
    updated_at: datetime | None = None

    @classmethod
    def register(cls, partner_id: str, name: str, kinds: Iterable[str], *, at: datetime) -> Partner:
        """Register a partner with the kinds of events it may receive, and announce it."""
        partner = cls(partner_id, _checked_name(name), checked_kinds(kinds), at)
        partner.record(
            PartnerRegistered(
                partner_id=partner_id,
                name=partner.name,
                event_kinds=list(partner.event_kinds),
                registered_at=at,
            ),
            subject=partner_id,
        )
        return partner

    def change(
        self,
        *,
        at: datetime,
        name: str | None = None,
        kinds: Iterable[str] | None = None,
        active: bool | None = None,
    ) -> bool:
        """Rename, change the kinds it may receive, suspend or resume; False (no event) if nothing changed."""
        new_name = self.name if name is None else _checked_name(name)
        new_kinds = self.event_kinds if kinds is None else checked_kinds(kinds)
        new_active = self.active if active is None else active
        if (new_name, new_kinds, new_active) == (self.name, self.event_kinds, self.active):
            return False
        self.name, self.event_kinds, self.active, self.updated_at = new_name, new_kinds, new_active, at
        self.record(
            PartnerUpdated(
                partner_id=self.partner_id,
                name=self.name,
                event_kinds=list(self.event_kinds),
                active=self.active,
                updated_at=at,
            ),
            subject=self.partner_id,
        )
        return True


def partner_key_scopes(requested: list[str] | None) -> tuple[str, ...]:
    """Return the scopes of a partner's new key: partner scopes only (all of them by default)."""
    wanted = tuple(sorted(set(requested))) if requested else tuple(sorted(PARTNER_SCOPES))
    unknown = [s for s in wanted if s not in PARTNER_SCOPES]
    if unknown:
        raise InvalidInput(
            f"A partner's key carries partner scopes only; not: {', '.join(unknown)}.",
            errors=[{"path": "scopes", "message": f"choose from {sorted(PARTNER_SCOPES)}"}],
        )
    return wanted


@dataclass
class Grant(Aggregate):
    """An organisation's consent that a partner receives some kinds of its events, until it ends."""

    grant_id: str
    organisation_id: str
    account_id: str
    partner_id: str
    event_kinds: tuple[PartnerEventKind, ...]
    given_by: GrantGiver
    given_at: datetime
    expires_at: datetime | None = None
    backfill: bool = False
    revoked_at: datetime | None = None
    revoked_by: GrantGiver | None = None
    end_reason: GrantEnd | None = None

    @classmethod
    def give(
        cls,
        grant_id: str,
        *,
        organisation_id: str,
        account_id: str,
        partner: Partner,
        kinds: Iterable[str] | None,
        given_by: GrantGiver,
        at: datetime,
        expires_at: datetime | None = None,
        backfill: bool = False,
    ) -> Grant:
        """Record the owner's consent to an active partner, for kinds the partner may receive."""
        if not partner.active:
            raise Conflict(f"The partner {partner.partner_id!r} is suspended: it cannot be granted access.")
        wanted = partner.event_kinds if kinds is None else checked_kinds(kinds)
        refused = [k for k in wanted if k not in partner.event_kinds]
        if refused:
            raise Forbidden(
                f"The partner may not receive: {', '.join(refused)}.",
                errors=[
                    {"path": "event_kinds", "message": f"the partner receives {list(partner.event_kinds)}"}
                ],
            )
        if expires_at is not None:
            if expires_at.tzinfo is None:
                raise InvalidInput(
                    "Give the expiry with its time zone (e.g. 2027-06-30T23:59:59+02:00).",
                    errors=[{"path": "expires_at", "message": "no time zone"}],
                )
            if expires_at <= at:
                raise InvalidInput(
                    "A grant expires in the future.",
                    errors=[{"path": "expires_at", "message": "in the past"}],
                )
        grant = cls(
            grant_id,
            organisation_id,
            account_id,
            partner.partner_id,
            wanted,
            given_by,
            at,
            expires_at=expires_at,
            backfill=backfill,
        )
        grant.record(
            PartnerGrantGiven(
                grant_id=grant_id,
                partner_id=partner.partner_id,
                organisation_id=organisation_id,
                event_kinds=list(wanted),
                expires_at=expires_at,
                backfill=backfill,
                given_by=given_by,
                given_at=at,
            ),
            subject=organisation_id,
        )
        return grant

    def live(self, at: datetime) -> bool:
        """Tell whether the grant lets events of `at` through: given, neither revoked nor expired."""
        if at < self.given_at:
            return False
        if self.revoked_at is not None and at >= self.revoked_at:
            return False
        return self.expires_at is None or at < self.expires_at

    def status(self, at: datetime) -> str:
        """Say where the grant stands: live, revoked, erased or expired."""
        if self.end_reason is not None:
            return self.end_reason
        return "live" if self.live(at) else "expired"

    def end(self, *, at: datetime, reason: GrantEnd, by: GrantGiver | None) -> None:
        """Revoke the grant (its owner, or the organisation's erasure): later events stop at once."""
        if self.end_reason is not None:
            raise NotFound(f"No live grant {self.grant_id!r}.")
        self.revoked_at, self.revoked_by, self.end_reason = at, by, reason
        self.record(
            PartnerGrantRevoked(
                grant_id=self.grant_id,
                partner_id=self.partner_id,
                organisation_id=self.organisation_id,
                reason=reason,
                revoked_by=by,
                revoked_at=at,
            ),
            subject=self.organisation_id,
        )
