"""The alert lifecycle: open, acknowledged, dismissed, resolved by a later diagnostic, reopened, closed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.watch.domain.alerts import Alert, alert_id
from shared.errors import Conflict, InvalidInput
from shared.events.contracts.watch import AlertChanged
from tests.unit.watch import NOW

LATER = NOW + timedelta(days=1)


def _alert() -> Alert:
    alert = Alert.open(organisation_id="org_1", notice_id="ntc_1", diagnostic_id="dg_1", at=NOW)
    alert.pull_events()
    return alert


def _statuses(alert: Alert) -> list[tuple[str | None, str]]:
    events = [r.event for r in alert.pull_events()]
    assert all(isinstance(e, AlertChanged) for e in events)
    return [(e.previous_status, e.status) for e in events if isinstance(e, AlertChanged)]


class TestIdentity:
    def test_the_id_is_deterministic_per_organisation_and_notice(self) -> None:
        assert alert_id("org_1", "ntc_1") == alert_id("org_1", "ntc_1")
        assert alert_id("org_1", "ntc_1") != alert_id("org_1", "ntc_2")
        assert alert_id("org_1", "ntc_1") != alert_id("org_2", "ntc_1")

    def test_opening_records_the_open_status(self) -> None:
        alert = Alert.open(organisation_id="org_1", notice_id="ntc_1", diagnostic_id="dg_1", at=NOW)
        assert alert.id == alert_id("org_1", "ntc_1")
        [recorded] = alert.pull_events()
        assert recorded.subject == "org_1"
        assert isinstance(recorded.event, AlertChanged)
        assert (recorded.event.previous_status, recorded.event.status) == (None, "open")


class TestAcknowledge:
    def test_an_open_alert_is_acknowledged(self) -> None:
        alert = _alert()
        alert.acknowledge(LATER)
        assert (alert.status, alert.acknowledged_at) == ("acknowledged", LATER)
        assert _statuses(alert) == [("open", "acknowledged")]

    def test_acknowledging_twice_is_a_conflict(self) -> None:
        alert = _alert()
        alert.acknowledge(LATER)
        with pytest.raises(Conflict):
            alert.acknowledge(LATER)


class TestDismiss:
    def test_an_alert_is_dismissed_with_a_reason(self) -> None:
        alert = _alert()
        alert.dismiss("accepted_risk", LATER, comment="plan en 2027")
        assert (alert.status, alert.dismissed_reason, alert.dismissed_comment) == (
            "dismissed",
            "accepted_risk",
            "plan en 2027",
        )

    def test_an_unknown_reason_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            _alert().dismiss("bored", LATER)

    def test_other_needs_a_comment(self) -> None:
        with pytest.raises(InvalidInput):
            _alert().dismiss("other", LATER)

    def test_a_resolved_alert_cannot_be_dismissed(self) -> None:
        alert = _alert()
        alert.diagnostic_changed(False, "dg_2", LATER)
        with pytest.raises(Conflict):
            alert.dismiss("not_relevant", LATER)


class TestFollowingDiagnostics:
    @pytest.mark.parametrize("acknowledged", [False, True])
    def test_a_later_diagnostic_that_no_longer_matches_resolves_it(self, acknowledged: bool) -> None:
        alert = _alert()
        if acknowledged:
            alert.acknowledge(NOW)
            alert.pull_events()
        assert alert.diagnostic_changed(False, "dg_2", LATER)
        assert (alert.status, alert.resolved_at, alert.diagnostic_id) == ("resolved", LATER, "dg_2")

    def test_a_resolved_alert_reopens_when_a_diagnostic_matches_again(self) -> None:
        alert = _alert()
        alert.diagnostic_changed(False, "dg_2", LATER)
        assert alert.diagnostic_changed(True, "dg_3", LATER + timedelta(days=1))
        assert (alert.status, alert.reopened_count, alert.resolved_at) == ("open", 1, None)
        assert _statuses(alert) == [("open", "resolved"), ("resolved", "open")]

    def test_a_matching_diagnostic_keeps_an_open_alert_open(self) -> None:
        alert = _alert()
        assert not alert.diagnostic_changed(True, "dg_2", LATER)
        assert (alert.status, alert.diagnostic_id) == ("open", "dg_2")
        assert _statuses(alert) == []

    @pytest.mark.parametrize("matches", [False, True])
    def test_a_dismissed_alert_stays_dismissed(self, matches: bool) -> None:
        alert = _alert()
        alert.dismiss("false_positive", NOW)
        assert not alert.diagnostic_changed(matches, "dg_2", LATER)
        assert alert.status == "dismissed"


class TestReopen:
    def test_the_user_reopens_a_dismissed_alert(self) -> None:
        alert = _alert()
        alert.dismiss("not_relevant", NOW)
        alert.reopen(LATER)
        assert (alert.status, alert.dismissed_reason, alert.reopened_count) == ("open", None, 1)

    def test_an_open_alert_cannot_be_reopened(self) -> None:
        with pytest.raises(Conflict):
            _alert().reopen(LATER)


class TestNoticeWithdrawn:
    @pytest.mark.parametrize("setup", ["open", "acknowledged", "dismissed", "resolved"])
    def test_withdrawing_the_notice_closes_the_alert(self, setup: str) -> None:
        alert = _alert()
        if setup == "acknowledged":
            alert.acknowledge(NOW)
        elif setup == "dismissed":
            alert.dismiss("already_handled", NOW)
        elif setup == "resolved":
            alert.diagnostic_changed(False, "dg_2", NOW)
        alert.pull_events()
        alert.notice_withdrawn(LATER)
        assert (alert.status, alert.closed_at) == ("closed", LATER)
        assert _statuses(alert) == [(setup, "closed")]

    def test_a_closed_alert_ignores_later_diagnostics_and_actions(self) -> None:
        alert = _alert()
        alert.notice_withdrawn(NOW)
        alert.notice_withdrawn(LATER)
        assert not alert.diagnostic_changed(True, "dg_2", LATER)
        assert alert.closed_at == NOW
        with pytest.raises(Conflict):
            alert.acknowledge(LATER)
