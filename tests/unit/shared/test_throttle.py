"""The throttle of failed authentication: limits, windows, resets and the caller's address."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from starlette.requests import HTTPConnection

from shared.errors import TooManyRequests
from shared.settings import ServiceSettings
from shared.throttle import AuthThrottle, MemoryFailureCounts

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _throttle(clock: Clock, *, trusted: tuple[str, ...] = ()) -> AuthThrottle:
    return AuthThrottle(
        MemoryFailureCounts(),
        max_failures=3,
        window_seconds=300,
        trusted_proxies=[ipaddress.ip_network(t) for t in trusted],
        clock=clock,
    )


def _connection(peer: str, *, forwarded: str | None = None) -> HTTPConnection:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return HTTPConnection({"type": "http", "client": (peer, 5000), "headers": headers})


@pytest.mark.asyncio
class TestTheLimit:
    async def test_attempts_are_refused_once_the_limit_is_reached_within_the_window(self) -> None:
        clock = Clock()
        throttle = _throttle(clock)
        for _ in range(3):
            await throttle.check(["client:a"])
            await throttle.failed(["client:a"])
        with pytest.raises(TooManyRequests) as refused:
            await throttle.check(["client:a"])
        assert refused.value.status == 429
        assert refused.value.retry_after_seconds == 300

    async def test_retry_after_counts_down_to_the_end_of_the_window(self) -> None:
        clock = Clock()
        throttle = _throttle(clock)
        for _ in range(3):
            await throttle.failed(["client:a"])
        clock.now += timedelta(seconds=200)
        with pytest.raises(TooManyRequests) as refused:
            await throttle.check(["client:a"])
        assert refused.value.retry_after_seconds == 100

    async def test_the_lockout_ends_with_the_window(self) -> None:
        clock = Clock()
        throttle = _throttle(clock)
        for _ in range(3):
            await throttle.failed(["client:a"])
        clock.now += timedelta(seconds=301)
        await throttle.check(["client:a"])
        await throttle.failed(["client:a"])
        await throttle.check(["client:a"])  # a new window, one failure in it

    async def test_any_key_over_the_limit_refuses_the_attempt(self) -> None:
        throttle = _throttle(Clock())
        for _ in range(3):
            await throttle.failed(["addr:1.2.3.4"])
        with pytest.raises(TooManyRequests):
            await throttle.check(["client:other", "addr:1.2.3.4"])
        await throttle.check(["client:other", "addr:5.6.7.8"])

    async def test_a_success_clears_only_its_key(self) -> None:
        throttle = _throttle(Clock())
        for _ in range(2):
            await throttle.failed(["client:a", "addr:1.2.3.4"])
        await throttle.succeeded("client:a")
        await throttle.failed(["client:a", "addr:1.2.3.4"])
        await throttle.check(["client:a"])
        with pytest.raises(TooManyRequests):
            await throttle.check(["addr:1.2.3.4"])


class TestTheCallersAddress:
    def test_it_is_the_peer_when_no_proxy_is_trusted(self) -> None:
        throttle = _throttle(Clock())
        assert throttle.address(_connection("10.0.0.9", forwarded="1.2.3.4")) == "10.0.0.9"

    def test_a_trusted_proxy_s_forwarded_for_names_the_caller(self) -> None:
        throttle = _throttle(Clock(), trusted=("10.0.0.0/8",))
        assert throttle.address(_connection("10.0.0.9", forwarded="1.2.3.4")) == "1.2.3.4"

    def test_a_spoofed_left_entry_is_not_believed(self) -> None:
        # The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the address it saw.
        throttle = _throttle(Clock(), trusted=("10.0.0.0/8",))
        assert throttle.address(_connection("10.0.0.9", forwarded="6.6.6.6, 1.2.3.4")) == "1.2.3.4"

    def test_an_untrusted_peer_s_forwarded_for_is_ignored(self) -> None:
        throttle = _throttle(Clock(), trusted=("10.0.0.0/8",))
        assert throttle.address(_connection("8.8.8.8", forwarded="1.2.3.4")) == "8.8.8.8"


class TestTheSettings:
    def test_defaults_are_ten_failures_in_five_minutes_and_no_trusted_proxy(self) -> None:
        settings = ServiceSettings()
        assert (settings.auth_max_failures, settings.auth_failure_window_seconds) == (10, 300.0)
        assert settings.trusted_networks == ()

    def test_trusted_proxies_take_addresses_and_networks(self) -> None:
        settings = ServiceSettings(trusted_proxies=("10.0.0.0/8", "127.0.0.1"))
        assert ipaddress.ip_address("10.1.2.3") in settings.trusted_networks[0]

    def test_a_trusted_proxy_that_is_no_address_is_refused(self) -> None:
        with pytest.raises(ValueError, match="not an IP address"):
            ServiceSettings(trusted_proxies=("gateway",))
