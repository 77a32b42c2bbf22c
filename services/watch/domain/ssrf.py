"""SSRF guard for user-given webhook URLs: refuse every target that is not on the public internet.

Pure: the adapter resolves the host, this module judges the URL and every address it got.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlsplit

from shared.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = {"http": 80, "https": 443}

# Listed by hand (not only `is_global`) so the verdict does not drift with the Python version
# and the refusal can say which range matched.
_BLOCKED_V4: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "unspecified ('this network')"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT (shared address space)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
)
_BLOCKED_V6: tuple[tuple[str, str], ...] = (
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "local-use NAT64"),
    ("100::/64", "discard-only"),
    ("2001::/23", "IETF protocol assignments (Teredo included)"),
    ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "segment routing"),
    ("fc00::/7", "unique-local"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_BLOCKED: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(cidr), reason) for cidr, reason in _BLOCKED_V4 + _BLOCKED_V6
)


class TargetRefused(InvalidInput, ValueError):
    """A webhook target the platform will not call: a bad URL or an address off the public internet."""


@dataclass(frozen=True)
class Target:
    """A checked URL, split into what the adapter needs to connect to it."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def host_is_address(self) -> bool:
        """Tell whether the host is an IP literal (then there is nothing to resolve, and no SNI)."""
        return _parse(self.host) is not None

    @property
    def host_header(self) -> str:
        """Give the `Host` header value: the name, bracketed if IPv6, with a non-default port."""
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if SCHEMES[self.scheme] == self.port else f"{name}:{self.port}"


def check_url(url: str) -> Target:
    """Split a webhook URL and refuse it unless it is plain http(s) to a named host, without userinfo."""
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise TargetRefused("The URL contains whitespace or control characters.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise TargetRefused(f"Only http and https URLs are accepted, not {parts.scheme or 'none'!r}.")
    if "@" in parts.netloc:
        raise TargetRefused("The URL may not carry a user name or password.")
    if not parts.hostname:
        raise TargetRefused("The URL has no host.")
    try:
        port = parts.port or SCHEMES[scheme]
    except ValueError as error:
        raise TargetRefused("The URL's port is not a number between 0 and 65535.") from error
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # Percent-encode what is not ASCII; everything already legal in a URL stays as the user wrote it.
    path = quote(path, safe="!#$%&'()*+,/:;=?@[]~")
    return Target(scheme=scheme, host=_ascii_host(parts.hostname), port=port, path=path)


def check_addresses(addresses: Iterable[str], *, allow: frozenset[str] = frozenset()) -> list[IPAddress]:
    """Return the addresses to connect to, or refuse them all if any one is not globally routable."""
    allowed = _allowed_networks(allow)
    checked: list[IPAddress] = []
    for text in addresses:
        address = _parse(text)
        if address is None:
            raise TargetRefused(f"{text!r} is not an IP address.")
        effective = _unmapped(address)
        if not any(effective in network for network in allowed):
            reason = refusal_reason(effective)
            if reason is not None:
                raise TargetRefused(f"The host resolves to {text} ({reason}): refused.")
        checked.append(effective)
    if not checked:
        raise TargetRefused("The host resolves to no address.")
    return checked


def refusal_reason(address: IPAddress) -> str | None:
    """Say why an address is off the public internet, or None if it is globally routable."""
    address = _unmapped(address)
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            inner = refusal_reason(embedded)
            return None if inner is None else f"{inner}, embedded in {address}"
    for network, reason in _BLOCKED:
        if address in network:
            return reason
    if isinstance(address, ipaddress.IPv6Address) and address not in _GLOBAL_UNICAST:
        return "reserved"
    return None if address.is_global else "non-global"


def _unmapped(address: IPAddress) -> IPAddress:
    """Judge an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address the OS will reach."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Find the IPv4 address a 6to4 or NAT64 address leads to."""
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _parse(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _ascii_host(hostname: str) -> str:
    """Lower-case the host and turn an internationalised name into its ASCII (punycode) form."""
    try:
        return hostname.encode("idna").decode("ascii").lower().rstrip(".")
    except UnicodeError as error:
        raise TargetRefused(f"{hostname!r} is not a valid host name.") from error


@lru_cache(maxsize=32)
def _allowed_networks(allow: frozenset[str]) -> tuple[IPNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in allow)
    except ValueError as error:
        raise ValueError(f"The SSRF allow-list holds something that is not an IP network: {error}") from error
