"""Preferences per channel and notice kind, and the routing of an alert to the channels."""

from __future__ import annotations

import pytest

from services.watch.domain.inbox import NOTICE_KINDS, NoticeKind, Severity
from services.watch.domain.preferences import Cadence, Channel, Plan, Preferences, route
from shared.errors import InvalidInput

OFF: dict[Channel, Cadence] = {"inbox": "off", "email": "off", "webhook": "off"}
INBOX_NOW: dict[Channel, Cadence] = {"inbox": "immediately", "email": "off", "webhook": "off"}
DEFAULT_ROUTE: dict[Channel, Cadence] = {"inbox": "immediately", "email": "weekly", "webhook": "immediately"}
ALL_NOW: dict[Channel, Cadence] = {"inbox": "immediately", "email": "immediately", "webhook": "immediately"}


def preferences(*choices: tuple[str, str, str | None]) -> Preferences:
    chosen = Preferences("acc-1")
    for channel, cadence, kind in choices:
        chosen.choose(channel, cadence, kind=kind)
    return chosen


class TestDefaults:
    @pytest.mark.parametrize("kind", NOTICE_KINDS)
    def test_inbox_at_once_email_weekly_webhook_at_once(self, kind: NoticeKind) -> None:
        table = Preferences("acc-1").table()
        assert {channel: table[channel][kind] for channel in table} == DEFAULT_ROUTE


class TestChoosing:
    def test_a_choice_for_one_kind_leaves_the_others_on_their_default(self) -> None:
        chosen = preferences(("email", "daily", "regulatory"))
        assert chosen.cadence("email", "regulatory") == "daily"
        assert chosen.cadence("email", "usage") == "weekly"

    def test_a_choice_without_kind_applies_to_every_kind(self) -> None:
        chosen = preferences(("email", "off", None))
        assert {chosen.cadence("email", kind) for kind in NOTICE_KINDS} == {"off"}

    def test_a_later_choice_for_one_kind_refines_a_channel_wide_one(self) -> None:
        chosen = preferences(("email", "off", None), ("email", "immediately", "model"))
        assert chosen.cadence("email", "model") == "immediately"
        assert chosen.cadence("email", "technology") == "off"

    def test_reset_goes_back_to_the_defaults(self) -> None:
        chosen = preferences(("inbox", "off", None))
        chosen.reset()
        assert chosen.table() == Preferences("acc-1").table()

    def test_the_table_round_trips(self) -> None:
        chosen = preferences(("email", "daily", "usage"), ("webhook", "off", "model"))
        assert Preferences.from_table("acc-1", chosen.table()).table() == chosen.table()

    def test_a_stored_table_with_an_unknown_entry_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            Preferences.from_table("acc-1", {"email": {"weather": "daily"}})

    @pytest.mark.parametrize(
        ("channel", "cadence", "kind"),
        [
            ("sms", "daily", None),
            ("email", "hourly", None),
            ("email", "daily", "weather"),
            ("webhook", "daily", None),
            ("webhook", "weekly", "model"),
        ],
    )
    def test_unknown_values_and_webhook_digests_are_refused(
        self, channel: str, cadence: str, kind: str | None
    ) -> None:
        chosen = Preferences("acc-1")
        with pytest.raises(InvalidInput):
            chosen.choose(channel, cadence, kind=kind)
        assert chosen.choices == {}


ROUTES: list[tuple[str, Plan, Severity, NoticeKind, Preferences, dict[Channel, Cadence]]] = [
    ("premium defaults, info", "premium", "info", "technology", preferences(), DEFAULT_ROUTE),
    ("premium defaults, warning", "premium", "warning", "model", preferences(), DEFAULT_ROUTE),
    (
        "critical bypasses the weekly e-mail digest",
        "premium",
        "critical",
        "regulatory",
        preferences(),
        ALL_NOW,
    ),
    (
        "critical bypasses a daily inbox digest",
        "premium",
        "critical",
        "usage",
        preferences(("inbox", "daily", None)),
        ALL_NOW,
    ),
    (
        "critical honours e-mail off",
        "premium",
        "critical",
        "regulatory",
        preferences(("email", "off", None)),
        {"inbox": "immediately", "email": "off", "webhook": "immediately"},
    ),
    (
        "critical honours webhook off",
        "premium",
        "critical",
        "model",
        preferences(("webhook", "off", "model")),
        {"inbox": "immediately", "email": "immediately", "webhook": "off"},
    ),
    (
        "a daily e-mail digest stays daily below critical",
        "premium",
        "warning",
        "usage",
        preferences(("email", "daily", "usage")),
        {"inbox": "immediately", "email": "daily", "webhook": "immediately"},
    ),
    (
        "a choice for another kind does not apply",
        "premium",
        "info",
        "technology",
        preferences(("email", "off", "model")),
        DEFAULT_ROUTE,
    ),
    ("all off", "premium", "critical", "regulatory", preferences(*((c, "off", None) for c in OFF)), OFF),
    ("free, critical regulatory: inbox only", "free", "critical", "regulatory", preferences(), INBOX_NOW),
    ("free, warning regulatory: nothing", "free", "warning", "regulatory", preferences(), OFF),
    ("free, critical model: nothing", "free", "critical", "model", preferences(), OFF),
    ("free, critical technology: nothing", "free", "critical", "technology", preferences(), OFF),
    (
        "free ignores stored preferences",
        "free",
        "critical",
        "regulatory",
        preferences(("inbox", "off", None), ("email", "immediately", None)),
        INBOX_NOW,
    ),
]


class TestRoute:
    @pytest.mark.parametrize(
        ("plan", "severity", "kind", "chosen", "expected"),
        [case[1:] for case in ROUTES],
        ids=[case[0] for case in ROUTES],
    )
    def test_routes(
        self,
        plan: Plan,
        severity: Severity,
        kind: NoticeKind,
        chosen: Preferences,
        expected: dict[Channel, Cadence],
    ) -> None:
        assert route(plan, severity, kind, chosen) == expected
