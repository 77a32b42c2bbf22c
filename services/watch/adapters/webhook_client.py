"""Send one webhook attempt over HTTP, behind the SSRF guard, to the address that was checked."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType

import httpx

from services.watch.domain.deliveries import (
    EXCERPT_LIMIT,
    AttemptResult,
    Outcome,
    excerpt,
    outcome_for_status,
)
from services.watch.domain.ssrf import IPAddress, Target, TargetRefused, check_addresses, check_url

logger = logging.getLogger(__name__)

Resolver = Callable[[str, int], Awaitable[list[str]]]
DEFAULT_TIMEOUT = 15.0
# Enough bytes for 1,000 characters of any UTF-8 text; the rest of a large body is never read.
_READ_LIMIT = 4 * EXCERPT_LIMIT


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve every A and AAAA record of a host with the event loop's resolver."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class WebhookClient:
    """Deliver webhook attempts; one instance per process, closed by `aclose` in the lifespan."""

    def __init__(
        self,
        *,
        resolver: Resolver = system_resolver,
        allow: Iterable[str] = (),
        timeout: float = DEFAULT_TIMEOUT,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        # `allow` exempts addresses or networks from the guard for tests; `transport` stands in for the
        # network in unit tests; `verify` lets a test trust its own certificate authority.
        self._resolver = resolver
        self._allow = frozenset(allow)
        self._timeout = timeout
        self._http = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            verify=verify,
            # No proxy from the environment: it would connect somewhere else than the checked address.
            trust_env=False,
            # Connections are pooled per IP, not per host name: reusing one could carry a request
            # over a TLS session authenticated for another endpoint's name.
            limits=httpx.Limits(max_keepalive_connections=0),
            # Receivers' cookies would be replayed to every endpoint sharing an address.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            transport=transport,
        )

    async def __aenter__(self) -> WebhookClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def deliver(
        self, endpoint_url: str, headers: Mapping[str, str], body: bytes, *, redact: Sequence[str] = ()
    ) -> AttemptResult:
        """Make one attempt: check the URL and every address of its host, then POST to a checked address."""
        started = time.perf_counter()
        try:
            target = check_url(endpoint_url)
            addresses = await self._checked_addresses(target)
        except TargetRefused as refused:
            return AttemptResult(Outcome.REFUSED, latency_ms=_since(started), detail=refused.detail)
        except TimeoutError:
            return AttemptResult(
                Outcome.TIMEOUT, latency_ms=_since(started), detail="DNS resolution timed out"
            )
        except OSError as error:
            return AttemptResult(
                Outcome.NETWORK_ERROR, latency_ms=_since(started), detail=f"cannot resolve the host: {error}"
            )
        request = self._request(target, addresses[0], headers, body)
        return await self._send(request, started, redact)

    async def _checked_addresses(self, target: Target) -> list[IPAddress]:
        """Resolve the host (unless it is an address) and let the guard judge every answer."""
        if target.host_is_address:
            return check_addresses([target.host], allow=self._allow)
        async with asyncio.timeout(self._timeout):
            resolved = await self._resolver(target.host, target.port)
        return check_addresses(resolved, allow=self._allow)

    def _request(
        self, target: Target, address: IPAddress, headers: Mapping[str, str], body: bytes
    ) -> httpx.Request:
        """Aim at the checked address; the name stays in `Host` and in TLS (SNI and certificate)."""
        url = httpx.URL(
            scheme=target.scheme, host=str(address), port=target.port, raw_path=target.path.encode()
        )
        # Ask for an uncompressed answer: only its first bytes are read, and never inflated.
        sent = {k: v for k, v in headers.items() if k.lower() not in {"host", "accept-encoding"}} | {
            "Host": target.host_header,
            "Accept-Encoding": "identity",
        }
        extensions = {} if target.host_is_address else {"sni_hostname": target.host}
        return self._http.build_request("POST", url, headers=sent, content=body, extensions=extensions)

    async def _send(self, request: httpx.Request, started: float, redact: Sequence[str]) -> AttemptResult:
        """Send, read the head of the answer within the overall timeout, and judge it."""
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.send(request, stream=True)
                try:
                    head = await _read_head(response)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            return AttemptResult(Outcome.TIMEOUT, latency_ms=_since(started), detail="no answer in time")
        except httpx.HTTPError as error:
            logger.info("webhook attempt to %s failed: %r", request.url.host, error)
            detail = f"{type(error).__name__}: {error}"[:EXCERPT_LIMIT]
            return AttemptResult(Outcome.NETWORK_ERROR, latency_ms=_since(started), detail=detail)
        return _result(response, head, started, redact)


async def _read_head(response: httpx.Response) -> bytes:
    """Read at most the bytes an excerpt needs, never the whole (nor the inflation) of a large body."""
    head = b""
    async for chunk in response.aiter_raw():
        head += chunk
        if len(head) >= _READ_LIMIT:
            break
    return head[:_READ_LIMIT]


def _result(response: httpx.Response, head: bytes, started: float, redact: Sequence[str]) -> AttemptResult:
    outcome = outcome_for_status(response.status_code)
    detail = "redirect not followed" if response.is_redirect else ""
    text = head.decode(response.encoding or "utf-8", errors="replace")
    return AttemptResult(
        outcome,
        status_code=response.status_code,
        latency_ms=_since(started),
        response_excerpt=excerpt(text, secrets=redact),
        detail=detail,
    )


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
