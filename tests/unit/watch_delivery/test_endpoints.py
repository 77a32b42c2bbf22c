"""Webhook endpoints: filters, secret rotation, the failure window, 410 and re-enabling."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from services.watch.domain.endpoints import (
    DisabledReason,
    Endpoint,
    EndpointStatus,
    WebhookEndpointDisabled,
)
from services.watch.domain.ssrf import TargetRefused
from services.watch.domain.webhooks import InvalidSecret, new_secret
from shared.errors import InvalidInput

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


def _endpoint(**kwargs: object) -> Endpoint:
    n = next(_ids)
    values: dict[str, object] = {
        "endpoint_id": f"wep_{n}",
        "account_id": f"acc_{n}",
        "url": "https://hooks.example.com/dimm",
        "at": T0,
    }
    return Endpoint.create(**(values | kwargs))  # type: ignore[arg-type]


def _disabled_events(endpoint: Endpoint) -> list[WebhookEndpointDisabled]:
    return [r.event for r in endpoint.pull_events() if isinstance(r.event, WebhookEndpointDisabled)]


class TestCreation:
    def test_a_new_endpoint_is_enabled_with_a_fresh_secret(self) -> None:
        endpoint = _endpoint()
        assert endpoint.enabled
        assert endpoint.status is EndpointStatus.ENABLED
        assert endpoint.secret.startswith("whsec_")
        assert endpoint.signing_secrets(T0) == [endpoint.secret]
        assert endpoint.organisation_id is None

    def test_a_given_secret_is_kept(self) -> None:
        secret = new_secret()
        assert _endpoint(secret=secret).secret == secret

    def test_a_malformed_secret_is_refused(self) -> None:
        with pytest.raises(InvalidSecret):
            _endpoint(secret="whsec_short")

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "https:///path",
            "hooks.example.com",
        ],
    )
    def test_a_wrong_url_is_refused(self, url: str) -> None:
        with pytest.raises(TargetRefused):
            _endpoint(url=url)

    def test_the_secret_never_shows_in_the_repr(self) -> None:
        endpoint = _endpoint()
        assert endpoint.secret not in repr(endpoint)


class TestFilters:
    def test_no_filter_accepts_every_event_type(self) -> None:
        assert _endpoint().accepts("watch.alert.opened")

    def test_a_filter_accepts_only_its_event_types(self) -> None:
        endpoint = _endpoint(event_types=["watch.alert.opened", "watch.alert.resolved", "watch.alert.opened"])
        assert endpoint.event_types == ("watch.alert.opened", "watch.alert.resolved")
        assert endpoint.accepts("watch.alert.resolved")
        assert not endpoint.accepts("watch.notice.published")

    @pytest.mark.parametrize("event_type", ["alert", "Watch.Alert", "watch.alert.*", "watch..opened", ""])
    def test_a_filter_that_is_not_an_event_type_is_refused(self, event_type: str) -> None:
        with pytest.raises(InvalidInput):
            _endpoint(event_types=[event_type])


class TestRotation:
    def test_the_previous_secret_signs_for_24_hours(self) -> None:
        endpoint = _endpoint()
        old = endpoint.secret
        new = endpoint.rotate(T0)
        assert endpoint.secret == new != old
        assert endpoint.signing_secrets(T0 + timedelta(hours=23, minutes=59)) == [new, old]
        assert endpoint.signing_secrets(T0 + timedelta(hours=24)) == [new]

    def test_the_overlap_can_be_chosen_or_skipped(self) -> None:
        endpoint = _endpoint()
        old = endpoint.secret
        new = endpoint.rotate(T0, keep_previous_for=timedelta(hours=1))
        assert endpoint.signing_secrets(T0 + timedelta(minutes=59)) == [new, old]
        newest = endpoint.rotate(T0 + timedelta(minutes=59), keep_previous_for=timedelta(0))
        assert endpoint.signing_secrets(T0 + timedelta(minutes=59)) == [newest, old]
        assert endpoint.signing_secrets(T0 + timedelta(hours=1)) == [newest]

    def test_a_second_rotation_keeps_every_unexpired_secret(self) -> None:
        endpoint = _endpoint()
        first = endpoint.secret
        second = endpoint.rotate(T0)
        third = endpoint.rotate(T0 + timedelta(hours=1))
        assert endpoint.signing_secrets(T0 + timedelta(hours=2)) == [third, second, first]
        assert endpoint.signing_secrets(T0 + timedelta(hours=24)) == [third, second]

    def test_expired_secrets_are_dropped(self) -> None:
        endpoint = _endpoint()
        endpoint.rotate(T0)
        endpoint.rotate(T0 + timedelta(days=2))
        assert len(endpoint.secrets) == 2

    def test_a_negative_overlap_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            _endpoint().rotate(T0, keep_previous_for=timedelta(hours=-1))


class TestFailureWindow:
    def test_failures_shorter_than_five_days_keep_it_enabled(self) -> None:
        endpoint = _endpoint()
        assert not endpoint.record_failure(T0)
        assert not endpoint.record_failure(T0 + timedelta(days=4, hours=23))
        assert endpoint.enabled
        assert endpoint.failing_since == T0

    def test_failing_for_five_days_disables_it_with_an_event(self) -> None:
        endpoint = _endpoint()
        endpoint.record_failure(T0)
        assert endpoint.record_failure(T0 + timedelta(days=5))
        assert endpoint.status is EndpointStatus.DISABLED
        assert (endpoint.disabled_reason, endpoint.disabled_at) == (
            DisabledReason.FAILING,
            T0 + timedelta(days=5),
        )
        [event] = _disabled_events(endpoint)
        assert (event.endpoint_id, event.reason, event.failing_since) == (
            endpoint.id,
            DisabledReason.FAILING,
            T0,
        )

    def test_a_success_ends_the_streak(self) -> None:
        endpoint = _endpoint()
        endpoint.record_failure(T0)
        endpoint.record_success(T0 + timedelta(days=3))
        assert endpoint.failing_since is None
        assert not endpoint.record_failure(T0 + timedelta(days=6))
        assert endpoint.failing_since == T0 + timedelta(days=6)

    def test_a_late_success_older_than_the_streak_does_not_end_it(self) -> None:
        endpoint = _endpoint()
        endpoint.record_failure(T0 + timedelta(hours=1))
        endpoint.record_success(T0)
        assert endpoint.failing_since == T0 + timedelta(hours=1)

    def test_the_window_is_a_setting(self) -> None:
        endpoint = _endpoint()
        endpoint.record_failure(T0, window=timedelta(seconds=5))
        assert endpoint.record_failure(T0 + timedelta(seconds=5), window=timedelta(seconds=5))

    def test_a_disabled_endpoint_is_disabled_once(self) -> None:
        endpoint = _endpoint()
        endpoint.record_failure(T0)
        endpoint.record_failure(T0 + timedelta(days=5))
        assert not endpoint.record_failure(T0 + timedelta(days=6))
        assert len(_disabled_events(endpoint)) == 1


class TestGone:
    def test_410_disables_at_once(self) -> None:
        endpoint = _endpoint(organisation_id="org_1")
        assert endpoint.gone(T0)
        assert (endpoint.enabled, endpoint.disabled_reason) == (False, DisabledReason.GONE)
        [event] = _disabled_events(endpoint)
        assert (event.reason, event.organisation_id, event.account_id) == (
            DisabledReason.GONE,
            "org_1",
            endpoint.account_id,
        )

    def test_a_second_410_changes_nothing(self) -> None:
        endpoint = _endpoint()
        endpoint.gone(T0)
        assert not endpoint.gone(T0 + timedelta(seconds=1))
        assert len(_disabled_events(endpoint)) == 1


class TestEnableAndDisable:
    def test_re_enabling_resets_the_streak(self) -> None:
        endpoint = _endpoint()
        endpoint.record_failure(T0)
        endpoint.record_failure(T0 + timedelta(days=5))
        assert endpoint.enable(T0 + timedelta(days=6))
        assert endpoint.enabled
        assert (endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since) == (None, None, None)
        assert not endpoint.record_failure(T0 + timedelta(days=7))

    def test_enabling_an_enabled_endpoint_changes_nothing(self) -> None:
        assert not _endpoint().enable(T0)

    def test_the_owner_can_disable_it(self) -> None:
        endpoint = _endpoint()
        assert endpoint.disable(T0)
        assert endpoint.disabled_reason is DisabledReason.MANUAL
        assert not endpoint.disable(T0)
        assert [e.reason for e in _disabled_events(endpoint)] == [DisabledReason.MANUAL]
