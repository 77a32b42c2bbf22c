"""The SSRF guard: URLs, addresses off the public internet, names resolving to them, redirects."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx
import pytest

from services.watch.adapters.webhook_client import Resolver, WebhookClient
from services.watch.domain.deliveries import Outcome
from services.watch.domain.ssrf import TargetRefused, check_addresses, check_url

REFUSED = {
    "127.0.0.1": "loopback",
    "127.1.2.3": "loopback",
    "10.0.0.1": "private",
    "172.16.0.1": "private",
    "172.31.255.255": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "link-local",
    "100.64.0.1": "carrier-grade NAT",
    "100.127.255.254": "carrier-grade NAT",
    "0.0.0.0": "unspecified",
    "255.255.255.255": "reserved",
    "224.0.0.251": "multicast",
    "192.0.2.10": "documentation",
    "198.18.0.1": "benchmarking",
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fe80::1%eth0": "link-local",
    "fc00::1": "unique-local",
    "fd12:3456::1": "unique-local",
    "ff02::1": "multicast",
    "2001:db8::1": "documentation",
    "::ffff:127.0.0.1": "loopback",
    "::ffff:10.0.0.1": "private",
    "::ffff:169.254.169.254": "link-local",
    "2002:7f00:1::1": "loopback, embedded",
    "2002:c0a8:101::1": "private, embedded",
    "64:ff9b::a9fe:a9fe": "link-local, embedded",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2": "Teredo",
}
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4007:80f::200e", "2002:808:808::1"]


class TestAddresses:
    @pytest.mark.parametrize(("address", "reason"), REFUSED.items())
    def test_an_address_off_the_public_internet_is_refused(self, address: str, reason: str) -> None:
        with pytest.raises(TargetRefused, match=reason):
            check_addresses([address])

    @pytest.mark.parametrize("address", PUBLIC)
    def test_a_public_address_is_accepted(self, address: str) -> None:
        assert check_addresses([address]) == [ipaddress.ip_address(address)]

    def test_an_ipv4_mapped_address_is_judged_and_returned_as_ipv4(self) -> None:
        assert check_addresses(["::ffff:8.8.8.8"]) == [ipaddress.IPv4Address("8.8.8.8")]

    def test_one_private_address_among_public_ones_refuses_them_all(self) -> None:
        with pytest.raises(TargetRefused, match=r"10\.0\.0\.7"):
            check_addresses(["8.8.8.8", "10.0.0.7", "1.1.1.1"])

    def test_no_address_is_refused(self) -> None:
        with pytest.raises(TargetRefused, match="no address"):
            check_addresses([])

    def test_something_that_is_not_an_address_is_refused(self) -> None:
        with pytest.raises(TargetRefused):
            check_addresses(["localhost"])


class TestAllowList:
    def test_an_allowed_address_passes(self) -> None:
        assert check_addresses(["127.0.0.1"], allow=frozenset({"127.0.0.1"})) == [
            ipaddress.ip_address("127.0.0.1")
        ]

    def test_only_the_allowed_address_passes(self) -> None:
        with pytest.raises(TargetRefused):
            check_addresses(["127.0.0.2"], allow=frozenset({"127.0.0.1"}))

    def test_a_network_can_be_allowed(self) -> None:
        assert check_addresses(["10.1.2.3"], allow=frozenset({"10.0.0.0/8"}))

    def test_an_ipv4_mapped_address_of_an_allowed_address_passes(self) -> None:
        assert check_addresses(["::ffff:127.0.0.1"], allow=frozenset({"127.0.0.1"}))

    def test_a_wrong_allow_list_entry_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="allow-list"):
            check_addresses(["8.8.8.8"], allow=frozenset({"receiver.test"}))


class TestUrls:
    @pytest.mark.parametrize(
        ("url", "host", "port", "path"),
        [
            ("https://hooks.example.com/dimm?x=1", "hooks.example.com", 443, "/dimm?x=1"),
            ("http://Hooks.Example.com:8080", "hooks.example.com", 8080, "/"),
            ("https://[2606:4700::1111]:8443/a", "2606:4700::1111", 8443, "/a"),
            ("https://bücher.example/é", "xn--bcher-kva.example", 443, "/%C3%A9"),
        ],
    )
    def test_an_http_url_is_split(self, url: str, host: str, port: int, path: str) -> None:
        target = check_url(url)
        assert (target.host, target.port, target.path) == (host, port, path)

    def test_the_host_header_carries_a_non_default_port(self) -> None:
        assert check_url("https://a.example/").host_header == "a.example"
        assert check_url("http://a.example:8080/").host_header == "a.example:8080"
        assert check_url("http://[::1]:8080/").host_header == "[::1]:8080"

    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("ftp://hooks.example.com/", "http and https"),
            ("file:///etc/passwd", "http and https"),
            ("gopher://127.0.0.1:6379/_INFO", "http and https"),
            ("javascript:alert(1)", "http and https"),
            ("//hooks.example.com/", "http and https"),
            ("https://user:secret@hooks.example.com/", "user name or password"),
            ("https://hooks.example.com@127.0.0.1/", "user name or password"),
            ("https:///only/a/path", "no host"),
            ("https://hooks.example.com:99999/", "port"),
            ("https://hooks.example.com/a b", "whitespace"),
            ("https://hooks.example.com/\r\nX-Injected: 1", "whitespace"),
        ],
    )
    def test_a_wrong_url_is_refused_with_a_reason(self, url: str, reason: str) -> None:
        with pytest.raises(TargetRefused, match=reason):
            check_url(url)

    def test_a_refusal_is_a_value_error_and_an_invalid_input(self) -> None:
        with pytest.raises(ValueError, match="http and https") as refused:
            check_url("ftp://x.example/")
        assert isinstance(refused.value, TargetRefused)
        assert refused.value.status == 422


def _resolver(*addresses: str) -> tuple[list[str], Resolver]:
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(f"{host}:{port}")
        return list(addresses)

    return asked, resolve


def _recording_transport(
    status: int = 204, headers: dict[str, str] | None = None
) -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        # A stream, as a real transport gives, not a body already read.
        return httpx.Response(status, headers=headers or {}, stream=httpx.ByteStream(b"ok"))

    return seen, httpx.MockTransport(handle)


class TestNamesResolvingToRefusedAddresses:
    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        "address",
        [
            "127.0.0.1",
            "10.0.0.5",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fc00::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
        ],
    )
    async def test_a_name_resolving_to_it_is_refused_without_a_connection(self, address: str) -> None:
        asked, resolve = _resolver("93.184.215.14", address)
        seen, transport = _recording_transport()
        async with WebhookClient(resolver=resolve, transport=transport) as client:
            result = await client.deliver("https://hooks.example.com/x", {}, b"{}")
        assert (result.outcome, seen, asked) == (Outcome.REFUSED, [], ["hooks.example.com:443"])
        assert address in result.detail

    @pytest.mark.asyncio
    async def test_an_address_literal_is_checked_without_resolving(self) -> None:
        asked, resolve = _resolver("8.8.8.8")
        seen, transport = _recording_transport()
        async with WebhookClient(resolver=resolve, transport=transport) as client:
            result = await client.deliver("http://[::ffff:7f00:1]:8080/x", {}, b"{}")
        assert (result.outcome, seen, asked) == (Outcome.REFUSED, [], [])

    @pytest.mark.asyncio
    async def test_a_wrong_url_is_refused_without_resolving(self) -> None:
        asked, resolve = _resolver("8.8.8.8")
        async with WebhookClient(resolver=resolve) as client:
            result = await client.deliver("ftp://hooks.example.com/", {}, b"{}")
        assert (result.outcome, asked) == (Outcome.REFUSED, [])

    @pytest.mark.asyncio
    async def test_an_unknown_name_is_a_network_error(self) -> None:
        async def fail(host: str, port: int) -> list[str]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

        async with WebhookClient(resolver=fail) as client:
            result = await client.deliver("https://nowhere.invalid/", {}, b"{}")
        assert result.outcome is Outcome.NETWORK_ERROR

    @pytest.mark.asyncio
    async def test_a_resolver_that_hangs_times_out(self) -> None:
        async def hang(host: str, port: int) -> list[str]:
            await asyncio.sleep(10)
            return []

        async with WebhookClient(resolver=hang, timeout=0.05) as client:
            result = await client.deliver("https://slow-dns.example/", {}, b"{}")
        assert result.outcome is Outcome.TIMEOUT


class TestConnectionToTheCheckedAddress:
    @pytest.mark.asyncio
    async def test_the_request_goes_to_the_checked_address_with_the_name_kept(self) -> None:
        _, resolve = _resolver("93.184.215.14")
        seen, transport = _recording_transport()
        async with WebhookClient(resolver=resolve, transport=transport) as client:
            result = await client.deliver(
                "https://hooks.example.com/in?k=1", {"webhook-id": "msg_1", "Host": "evil"}, b"{}"
            )
        [request] = seen
        assert result.outcome is Outcome.DELIVERED
        assert str(request.url) == "https://93.184.215.14/in?k=1"
        assert request.headers["host"] == "hooks.example.com"
        assert request.headers["webhook-id"] == "msg_1"
        assert request.extensions["sni_hostname"] == "hooks.example.com"
        assert request.headers["accept-encoding"] == "identity"

    @pytest.mark.asyncio
    async def test_a_redirect_is_a_failed_attempt_and_is_not_followed(self) -> None:
        _, resolve = _resolver("93.184.215.14")
        seen, transport = _recording_transport(302, {"location": "http://169.254.169.254/latest/meta-data/"})
        async with WebhookClient(resolver=resolve, transport=transport) as client:
            result = await client.deliver("https://hooks.example.com/", {}, b"{}")
        assert (result.outcome, result.status_code, len(seen)) == (Outcome.FAILED, 302, 1)
        assert "redirect not followed" in result.detail
