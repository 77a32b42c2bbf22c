"""Re-diagnosis reminders: the first after a year, then one every three months, reset by a new diagnostic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.watch.domain.reminders import REMIND_AFTER, REMIND_EVERY, due, next_due_at, reminder_key

SCORED = datetime(2024, 6, 1, 10, 0, tzinfo=UTC)
FIRST = SCORED + timedelta(days=365)


class TestFirstReminder:
    def test_not_due_while_the_diagnostic_is_younger_than_a_year(self) -> None:
        assert not due(SCORED, None, FIRST - timedelta(seconds=1))

    def test_due_once_the_diagnostic_is_a_year_old(self) -> None:
        assert due(SCORED, None, FIRST)
        assert due(SCORED, None, FIRST + timedelta(days=40))

    def test_the_defaults_are_a_year_then_three_months(self) -> None:
        assert REMIND_AFTER.days == 365
        assert REMIND_EVERY.days == 91


class TestFollowingReminders:
    def test_not_due_again_within_three_months_of_the_last(self) -> None:
        assert not due(SCORED, FIRST, FIRST)
        assert not due(SCORED, FIRST, FIRST + timedelta(days=90))

    def test_due_three_months_after_the_last(self) -> None:
        assert due(SCORED, FIRST, FIRST + timedelta(days=91))

    def test_a_late_reminder_moves_the_next_one(self) -> None:
        late = FIRST + timedelta(days=10)
        assert next_due_at(SCORED, late) == late + timedelta(days=91)

    def test_after_a_long_outage_one_reminder_is_sent_and_the_next_is_three_months_later(self) -> None:
        back = FIRST + timedelta(days=400)
        assert due(SCORED, None, back)
        assert next_due_at(SCORED, back) == back + timedelta(days=91)


class TestNewerDiagnostic:
    def test_resets_the_clock(self) -> None:
        rescored = FIRST + timedelta(days=5)
        assert not due(rescored, FIRST, FIRST + timedelta(days=91))
        assert next_due_at(rescored, FIRST) == rescored + timedelta(days=365)

    def test_a_reminder_after_the_new_diagnostic_counts(self) -> None:
        # With a shorter setting, a reminder can follow the newer diagnostic before a year has passed.
        rescored = FIRST + timedelta(days=5)
        reminded = rescored + timedelta(days=30)
        assert next_due_at(rescored, reminded, after=timedelta(days=30)) == reminded + timedelta(days=91)


class TestSettings:
    def test_compressed_delays_apply(self) -> None:
        after, every = timedelta(minutes=1), timedelta(seconds=10)
        assert due(SCORED, None, SCORED + after, after=after, every=every)
        assert not due(
            SCORED, SCORED + after, SCORED + after + timedelta(seconds=9), after=after, every=every
        )
        assert due(SCORED, SCORED + after, SCORED + after + every, after=after, every=every)


class TestReminderKey:
    def test_is_the_same_for_the_same_organisation_and_due_date(self) -> None:
        assert reminder_key("org-1", FIRST) == reminder_key("org-1", FIRST)

    def test_ignores_the_microseconds_mongodb_drops_and_the_time_zone_spelling(self) -> None:
        stored = FIRST.replace(microsecond=123456)
        naive_utc = FIRST.replace(tzinfo=None)
        assert (
            reminder_key("org-1", stored) == reminder_key("org-1", FIRST) == reminder_key("org-1", naive_utc)
        )

    @pytest.mark.parametrize(
        ("organisation", "at"), [("org-2", FIRST), ("org-1", FIRST + timedelta(days=91))]
    )
    def test_differs_for_another_organisation_or_due_date(self, organisation: str, at: datetime) -> None:
        assert reminder_key(organisation, at) != reminder_key("org-1", FIRST)
