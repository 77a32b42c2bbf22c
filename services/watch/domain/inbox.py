"""A subscriber's inbox: one item per alert and account, unseen → seen → read, archived, snoozed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.errors import InvalidInput

NoticeKind = Literal["model", "regulatory", "technology", "usage"]
Severity = Literal["info", "warning", "critical"]
InboxState = Literal["unseen", "seen", "read"]

NOTICE_KINDS: tuple[NoticeKind, ...] = ("model", "regulatory", "technology", "usage")
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")

_ITEM_NAMESPACE = uuid.UUID("5f0c6a52-2f43-4d1e-9a55-0b8f3c1d7e21")


def inbox_item_id(account_id: str, organisation_id: str, notice_id: str) -> str:
    """Name the inbox item of an account for one organisation and notice (the same on every retry)."""
    return str(uuid.uuid5(_ITEM_NAMESPACE, f"{account_id}|{organisation_id}|{notice_id}"))


@dataclass
class InboxItem:
    """What one account sees in its inbox about one notice touching one of its organisations."""

    id: str
    account_id: str
    organisation_id: str
    alert_id: str | None
    notice_id: str
    kind: NoticeKind
    severity: Severity
    title: str
    summary: str
    created_at: datetime
    state: InboxState = "unseen"
    seen_at: datetime | None = None
    read_at: datetime | None = None
    archived_at: datetime | None = None
    snoozed_until: datetime | None = None

    @property
    def archived(self) -> bool:
        """Tell whether the subscriber put the item away."""
        return self.archived_at is not None

    @property
    def unread(self) -> bool:
        """Tell whether the subscriber has not opened the item yet."""
        return self.state != "read"

    def mark_seen(self, at: datetime) -> bool:
        """Note that the item was shown in a feed; False if it was already seen or read."""
        if self.state != "unseen":
            return False
        self.state, self.seen_at = "seen", at
        return True

    def mark_read(self, at: datetime) -> bool:
        """Note that the subscriber opened the item (reading implies seeing); False if already read."""
        if self.state == "read":
            return False
        self.seen_at = self.seen_at or at
        self.state, self.read_at = "read", at
        return True

    def archive(self, at: datetime) -> bool:
        """Put the item away; False if it already is."""
        if self.archived:
            return False
        self.archived_at = at
        return True

    def unarchive(self) -> bool:
        """Bring an archived item back to the inbox; False if it was not archived."""
        if not self.archived:
            return False
        self.archived_at = None
        return True

    def snooze(self, until: datetime, *, at: datetime) -> None:
        """Hide the item until a later moment; refuse a moment that is not in the future."""
        if until <= at:
            raise InvalidInput(f"Cannot snooze until {until.isoformat()}: that moment is not in the future.")
        self.snoozed_until = until

    def unsnooze(self) -> None:
        """Show a snoozed item again now."""
        self.snoozed_until = None

    def visible(self, at: datetime) -> bool:
        """Tell whether the item shows in the inbox at a moment (not archived, not snoozed then)."""
        return not self.archived and (self.snoozed_until is None or self.snoozed_until <= at)


def unread_count(items: Iterable[InboxItem], at: datetime) -> int:
    """Count the items visible at a moment that the subscriber has not read."""
    return sum(1 for item in items if item.visible(at) and item.unread)
