"""Alerts: one per organisation and notice, with a Dependabot-like lifecycle."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast, get_args

from shared.aggregate import Aggregate
from shared.errors import Conflict, InvalidInput
from shared.events.contracts.watch import AlertChanged, AlertStatus

DismissReason = Literal["not_relevant", "already_handled", "accepted_risk", "false_positive", "other"]
DISMISS_REASONS: tuple[str, ...] = get_args(DismissReason)
MAX_COMMENT = 1000
ACTIVE: frozenset[AlertStatus] = frozenset({"open", "acknowledged"})


def alert_id(organisation_id: str, notice_id: str) -> str:
    """Return the alert id of an organisation and a notice: the same pair always gives the same id."""
    digest = hashlib.sha256(f"{organisation_id}\x1f{notice_id}".encode()).hexdigest()
    return f"alr_{digest[:24]}"


@dataclass(eq=False)
class Alert(Aggregate):
    """An organisation's alert on a notice, following its later diagnostics."""

    id: str
    organisation_id: str
    notice_id: str
    diagnostic_id: str
    status: AlertStatus
    opened_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None = None
    dismissed_reason: DismissReason | None = None
    dismissed_comment: str | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_count: int = 0

    @classmethod
    def open(cls, *, organisation_id: str, notice_id: str, diagnostic_id: str, at: datetime) -> Alert:
        """Open the alert of an organisation whose latest diagnostic a published notice targets."""
        alert = cls(
            id=alert_id(organisation_id, notice_id),
            organisation_id=organisation_id,
            notice_id=notice_id,
            diagnostic_id=diagnostic_id,
            status="open",
            opened_at=at,
            updated_at=at,
        )
        alert._changed(None, at)
        return alert

    def acknowledge(self, at: datetime) -> None:
        """Mark an open alert as seen and being handled."""
        self._require({"open"}, "acknowledge")
        self.acknowledged_at = at
        self._move("acknowledged", at)

    def dismiss(self, reason: str, at: datetime, *, comment: str | None = None) -> None:
        """Dismiss an open or acknowledged alert, saying why."""
        self._require(ACTIVE, "dismiss")
        if reason not in DISMISS_REASONS:
            raise InvalidInput(
                f"unknown reason {reason!r}; one of {', '.join(DISMISS_REASONS)}",
                errors=[{"path": "reason", "message": "unknown reason"}],
            )
        comment = (comment or "").strip() or None
        if reason == "other" and comment is None:
            raise InvalidInput("say why in a comment", errors=[{"path": "comment", "message": "required"}])
        if comment is not None and len(comment) > MAX_COMMENT:
            raise InvalidInput(f"a comment has at most {MAX_COMMENT} characters")
        self.dismissed_reason, self.dismissed_comment = cast(DismissReason, reason), comment
        self._move("dismissed", at, reason=reason)

    def reopen(self, at: datetime) -> None:
        """Reopen a dismissed alert (the user changed their mind)."""
        self._require({"dismissed"}, "reopen")
        self.dismissed_reason = self.dismissed_comment = None
        self.reopened_count += 1
        self._move("open", at, reason="reopened")

    def diagnostic_changed(self, matches: bool, diagnostic_id: str, at: datetime) -> bool:
        """Follow a later diagnostic: resolve when it no longer matches, reopen when it matches again.

        A dismissed or closed alert stays as it is. Return whether the status changed.
        """
        if self.status == "closed":
            return False
        self.diagnostic_id, self.updated_at = diagnostic_id, at
        if self.status in ACTIVE and not matches:
            self.resolved_at = at
            self._move("resolved", at, reason="diagnostic_no_longer_matches")
            return True
        if self.status == "resolved" and matches:
            self.resolved_at, self.reopened_count = None, self.reopened_count + 1
            self._move("open", at, reason="diagnostic_matches_again")
            return True
        return False

    def notice_withdrawn(self, at: datetime) -> None:
        """Close the alert: its notice was withdrawn (idempotent)."""
        if self.status != "closed":
            self.closed_at = at
            self._move("closed", at, reason="notice_withdrawn")

    def _require(self, allowed: set[AlertStatus] | frozenset[AlertStatus], action: str) -> None:
        if self.status not in allowed:
            raise Conflict(f"alert {self.id} is {self.status}: cannot {action} it")

    def _move(self, status: AlertStatus, at: datetime, *, reason: str | None = None) -> None:
        previous, self.status, self.updated_at = self.status, status, at
        self._changed(previous, at, reason=reason)

    def _changed(self, previous: AlertStatus | None, at: datetime, *, reason: str | None = None) -> None:
        event = AlertChanged(
            alert_id=self.id,
            organisation_id=self.organisation_id,
            notice_id=self.notice_id,
            diagnostic_id=self.diagnostic_id,
            status=self.status,
            previous_status=previous,
            reason=reason,
            changed_at=at,
        )
        self.record(event, subject=self.organisation_id)
