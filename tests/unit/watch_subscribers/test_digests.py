"""Digest periods in Europe/Paris (across the clock changes), keys, and grouping."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.watch.domain.digests import Period, digest_key, digest_period, group
from services.watch.domain.inbox import InboxItem
from shared.errors import InvalidInput

PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class TestDailyPeriod:
    def test_is_the_calendar_day_before_the_send_time(self) -> None:
        period = digest_period("daily", paris(2025, 6, 28, 8, 0))
        assert (period.first_day, period.last_day, period.label) == (
            date(2025, 6, 27),
            date(2025, 6, 27),
            "2025-06-27",
        )
        assert (period.start, period.end) == (utc(2025, 6, 26, 22), utc(2025, 6, 27, 22))

    def test_the_day_is_the_paris_day_not_the_utc_one(self) -> None:
        # 00:30 in Paris on 28 June is still 27 June in UTC.
        period = digest_period("daily", utc(2025, 6, 27, 22, 30))
        assert period.first_day == date(2025, 6, 27)

    def test_the_spring_forward_day_lasts_23_hours(self) -> None:
        period = digest_period("daily", paris(2025, 3, 31, 8, 0))
        assert (period.start, period.end) == (utc(2025, 3, 29, 23), utc(2025, 3, 30, 22))
        assert period.end - period.start == timedelta(hours=23)

    def test_the_fall_back_day_lasts_25_hours(self) -> None:
        period = digest_period("daily", paris(2025, 10, 27, 8, 0))
        assert (period.start, period.end) == (utc(2025, 10, 25, 22), utc(2025, 10, 26, 23))
        assert period.end - period.start == timedelta(hours=25)

    def test_another_time_zone_can_be_given(self) -> None:
        period = digest_period("daily", utc(2025, 6, 28, 12), tz=ZoneInfo("America/New_York"))
        assert (period.start, period.end) == (utc(2025, 6, 27, 4), utc(2025, 6, 28, 4))


class TestWeeklyPeriod:
    def test_is_the_iso_week_before_monday_to_monday_in_paris(self) -> None:
        period = digest_period("weekly", paris(2025, 6, 30, 7, 0))
        assert (period.first_day, period.last_day, period.label) == (
            date(2025, 6, 23),
            date(2025, 6, 29),
            "2025-W26",
        )
        assert (period.start, period.end) == (utc(2025, 6, 22, 22), utc(2025, 6, 29, 22))

    def test_a_week_holding_the_spring_change_lasts_167_hours(self) -> None:
        period = digest_period("weekly", paris(2025, 3, 31, 7, 0))
        assert (period.start, period.end) == (utc(2025, 3, 23, 23), utc(2025, 3, 30, 22))
        assert period.end - period.start == timedelta(hours=167)

    def test_a_week_holding_the_autumn_change_lasts_169_hours(self) -> None:
        period = digest_period("weekly", paris(2025, 10, 29, 7, 0))
        assert period.end - period.start == timedelta(hours=169)

    def test_a_send_late_on_sunday_covers_the_previous_whole_week(self) -> None:
        period = digest_period("weekly", paris(2025, 3, 30, 23, 30))
        assert (period.first_day, period.last_day) == (date(2025, 3, 17), date(2025, 3, 23))

    def test_a_send_at_monday_midnight_covers_the_week_just_ended(self) -> None:
        assert digest_period("weekly", paris(2025, 6, 30, 0, 0)).first_day == date(2025, 6, 23)

    @pytest.mark.parametrize(
        ("at", "label"),
        [
            (paris(2025, 1, 2, 8), "2024-W52"),
            (paris(2026, 1, 5, 8), "2026-W01"),
            (paris(2021, 1, 4, 8), "2020-W53"),
        ],
    )
    def test_the_label_is_the_iso_week_across_new_year(self, at: datetime, label: str) -> None:
        assert digest_period("weekly", at).label == label


class TestPeriodRefusals:
    @pytest.mark.parametrize("cadence", ["immediately", "off", "monthly"])
    def test_cadences_without_digest_are_refused(self, cadence: str) -> None:
        with pytest.raises(InvalidInput):
            digest_period(cadence, paris(2025, 6, 28, 8))

    def test_a_naive_send_time_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            digest_period("daily", datetime(2025, 6, 28, 8))


class TestContains:
    def test_the_start_is_in_and_the_end_is_out(self) -> None:
        period = digest_period("daily", paris(2025, 6, 28, 8))
        assert period.contains(period.start)
        assert period.contains(period.end - timedelta(microseconds=1))
        assert not period.contains(period.end)
        assert not period.contains(period.start - timedelta(microseconds=1))


class TestDigestKey:
    def test_two_sends_in_the_same_period_share_the_key(self) -> None:
        monday = digest_period("weekly", paris(2025, 6, 30, 7))
        tuesday = digest_period("weekly", paris(2025, 7, 1, 15))
        assert digest_key("acc-1", "email", monday) == digest_key("acc-1", "email", tuesday)

    @pytest.mark.parametrize(
        ("account", "channel", "at", "cadence"),
        [
            ("acc-2", "email", paris(2025, 6, 30, 7), "weekly"),
            ("acc-1", "inbox", paris(2025, 6, 30, 7), "weekly"),
            ("acc-1", "email", paris(2025, 7, 7, 7), "weekly"),
            ("acc-1", "email", paris(2025, 6, 30, 7), "daily"),
        ],
    )
    def test_another_account_channel_or_period_has_another_key(
        self, account: str, channel: str, at: datetime, cadence: str
    ) -> None:
        reference = digest_key("acc-1", "email", digest_period("weekly", paris(2025, 6, 30, 7)))
        assert digest_key(account, channel, digest_period(cadence, at)) != reference


WEEK = digest_period("weekly", paris(2025, 6, 30, 7))
SEND = paris(2025, 6, 30, 7)
IN_WEEK = paris(2025, 6, 25, 10)


def an_item(**changes: Any) -> InboxItem:
    unique = uuid.uuid4().hex[:8]
    item = InboxItem(
        id=f"item-{unique}",
        account_id="acc-1",
        organisation_id="org-a",
        alert_id=f"alert-{unique}",
        notice_id=f"notice-{unique}",
        kind="technology",
        severity="info",
        title=f"Notice {unique}",
        summary="Résumé",
        created_at=IN_WEEK,
    )
    return replace(item, **changes)


def ids(period: Period, items: list[InboxItem], **options: Any) -> list[str]:
    digest = group(items, period, at=SEND, **options)
    return [] if digest is None else [item.id for item in digest.items]


class TestGroupChoice:
    def test_keeps_only_items_created_in_the_period(self) -> None:
        before, first, last, after = (
            an_item(created_at=WEEK.start - timedelta(seconds=1)),
            an_item(created_at=WEEK.start),
            an_item(created_at=WEEK.end - timedelta(seconds=1)),
            an_item(created_at=WEEK.end),
        )
        assert ids(WEEK, [before, first, last, after]) == [first.id, last.id]

    def test_leaves_out_archived_and_still_snoozed_items(self) -> None:
        archived, snoozed, woken, kept = an_item(), an_item(), an_item(), an_item()
        archived.archive(IN_WEEK)
        snoozed.snooze(SEND + timedelta(days=1), at=IN_WEEK)
        woken.snooze(SEND - timedelta(hours=1), at=IN_WEEK)
        assert set(ids(WEEK, [archived, snoozed, woken, kept])) == {woken.id, kept.id}

    def test_leaves_out_items_already_sent_immediately(self) -> None:
        sent, kept = an_item(severity="critical"), an_item()
        assert ids(WEEK, [sent, kept], already_sent={sent.id}) == [kept.id]

    def test_keeps_read_items_unless_asked_for_unread_only(self) -> None:
        read, unread = an_item(created_at=IN_WEEK), an_item(created_at=IN_WEEK + timedelta(hours=1))
        read.mark_read(IN_WEEK)
        assert ids(WEEK, [read, unread]) == [read.id, unread.id]
        assert ids(WEEK, [read, unread], unread_only=True) == [unread.id]

    def test_nothing_to_send_gives_no_digest(self) -> None:
        archived = an_item()
        archived.archive(IN_WEEK)
        assert group([], WEEK, at=SEND) is None
        assert group([archived, an_item(created_at=WEEK.end)], WEEK, at=SEND) is None


class TestGroupOrder:
    def test_groups_by_organisation_then_critical_warning_info_then_age(self) -> None:
        b_info = an_item(organisation_id="org-b", severity="info")
        a_info = an_item(organisation_id="org-a", severity="info")
        a_late_critical = an_item(
            organisation_id="org-a", severity="critical", created_at=IN_WEEK + timedelta(hours=2)
        )
        a_warning = an_item(organisation_id="org-a", severity="warning")
        a_early_critical = an_item(organisation_id="org-a", severity="critical", created_at=IN_WEEK)
        b_critical = an_item(organisation_id="org-b", severity="critical")
        digest = group(
            [b_info, a_info, a_late_critical, a_warning, a_early_critical, b_critical], WEEK, at=SEND
        )
        assert digest is not None
        shape = [
            (o.organisation_id, [(s.severity, len(s.items)) for s in o.severities])
            for o in digest.organisations
        ]
        assert shape == [
            ("org-a", [("critical", 2), ("warning", 1), ("info", 1)]),
            ("org-b", [("critical", 1), ("info", 1)]),
        ]
        assert [i.id for i in digest.items] == [
            a_early_critical.id,
            a_late_critical.id,
            a_warning.id,
            a_info.id,
            b_critical.id,
            b_info.id,
        ]
        assert digest.period == WEEK
