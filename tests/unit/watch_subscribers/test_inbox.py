"""Inbox items: seen, read, archived, snoozed, and what stays visible."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.watch.domain.inbox import InboxItem, inbox_item_id, unread_count
from shared.errors import InvalidInput

T0 = datetime(2025, 6, 28, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)


def an_item(**changes: Any) -> InboxItem:
    unique = uuid.uuid4().hex[:8]
    item = InboxItem(
        id=f"item-{unique}",
        account_id=f"acc-{unique}",
        organisation_id=f"org-{unique}",
        alert_id=f"alert-{unique}",
        notice_id=f"notice-{unique}",
        kind="regulatory",
        severity="warning",
        title="NIS 2 : obligations de notification",
        summary="Les entités essentielles notifient un incident en 24 heures.",
        created_at=T0,
    )
    return replace(item, **changes)


class TestANewItem:
    def test_is_unseen_unread_and_visible(self) -> None:
        item = an_item()
        assert item.state == "unseen"
        assert item.unread
        assert item.visible(T0)


class TestSeeingAndReading:
    def test_seeing_moves_unseen_to_seen_once(self) -> None:
        item = an_item()
        assert item.mark_seen(T0)
        assert not item.mark_seen(LATER)
        assert (item.state, item.seen_at, item.unread) == ("seen", T0, True)

    def test_reading_implies_seeing(self) -> None:
        item = an_item()
        assert item.mark_read(T0)
        assert (item.state, item.seen_at, item.read_at, item.unread) == ("read", T0, T0, False)

    def test_reading_keeps_the_first_seen_moment(self) -> None:
        item = an_item()
        item.mark_seen(T0)
        item.mark_read(LATER)
        assert (item.seen_at, item.read_at) == (T0, LATER)

    def test_reading_twice_changes_nothing(self) -> None:
        item = an_item()
        item.mark_read(T0)
        assert not item.mark_read(LATER)
        assert item.read_at == T0

    def test_seeing_a_read_item_does_not_move_it_back(self) -> None:
        item = an_item()
        item.mark_read(T0)
        assert not item.mark_seen(LATER)
        assert item.state == "read"


class TestArchiving:
    def test_an_archived_item_is_hidden(self) -> None:
        item = an_item()
        assert item.archive(T0)
        assert item.archived
        assert not item.visible(LATER)

    def test_archiving_twice_keeps_the_first_moment(self) -> None:
        item = an_item()
        item.archive(T0)
        assert not item.archive(LATER)
        assert item.archived_at == T0

    def test_unarchiving_brings_it_back(self) -> None:
        item = an_item()
        item.archive(T0)
        assert item.unarchive()
        assert item.visible(LATER)

    def test_unarchiving_an_item_in_the_inbox_changes_nothing(self) -> None:
        assert not an_item().unarchive()


class TestSnoozing:
    def test_a_snoozed_item_is_hidden_until_the_moment_then_back(self) -> None:
        item = an_item()
        until = T0 + timedelta(days=3)
        item.snooze(until, at=T0)
        assert not item.visible(T0 + timedelta(days=2))
        assert item.visible(until)

    @pytest.mark.parametrize("until", [T0, T0 - timedelta(seconds=1), T0 - timedelta(days=30)])
    def test_a_moment_that_is_not_in_the_future_is_refused(self, until: datetime) -> None:
        item = an_item()
        with pytest.raises(InvalidInput):
            item.snooze(until, at=T0)
        assert item.snoozed_until is None

    def test_unsnoozing_shows_the_item_at_once(self) -> None:
        item = an_item()
        item.snooze(T0 + timedelta(days=3), at=T0)
        item.unsnooze()
        assert item.visible(T0)

    def test_a_snoozed_and_archived_item_stays_hidden_after_the_snooze(self) -> None:
        item = an_item()
        item.snooze(LATER, at=T0)
        item.archive(T0)
        assert not item.visible(LATER + timedelta(days=1))


class TestUnreadCount:
    def test_counts_only_visible_unread_items(self) -> None:
        read, archived, snoozed = an_item(), an_item(), an_item()
        read.mark_read(T0)
        archived.archive(T0)
        snoozed.snooze(T0 + timedelta(days=1), at=T0)
        items = [an_item(), an_item(state="seen"), read, archived, snoozed]
        assert unread_count(items, LATER) == 2
        assert unread_count(items, T0 + timedelta(days=2)) == 3


class TestItemId:
    def test_is_the_same_for_the_same_account_organisation_and_notice(self) -> None:
        assert inbox_item_id("acc", "org", "n1") == inbox_item_id("acc", "org", "n1")

    @pytest.mark.parametrize("other", [("acc2", "org", "n1"), ("acc", "org2", "n1"), ("acc", "org", "n2")])
    def test_differs_when_any_part_differs(self, other: tuple[str, str, str]) -> None:
        assert inbox_item_id("acc", "org", "n1") != inbox_item_id(*other)
