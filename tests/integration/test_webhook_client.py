"""The webhook client against a real local HTTP(S) receiver: signatures, redirects, 410, timeouts, SSRF."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from standardwebhooks.webhooks import Webhook

from services.watch.adapters.webhook_client import Resolver, WebhookClient
from services.watch.domain import webhooks
from services.watch.domain.deliveries import EXCERPT_LIMIT, Outcome

LOCAL = frozenset({"127.0.0.1"})
BODY = '{"type":"watch.alert.opened","data":{"organisation":"org_1","titre":"Échéance"}}'.encode()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A small HTTP/1.1 server on 127.0.0.1 whose answer depends on the path."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)
    echo: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _, path, _ = (await reader.readline()).decode().split(" ", 2)
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode().strip()) != "":
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.received.append(Received(path, headers, body))
            writer.write(await self._answer(path))
            await writer.drain()
        finally:
            writer.close()

    async def _answer(self, path: str) -> bytes:
        if path == "/slow":
            await asyncio.sleep(2)
        status, extra, payload = {
            "/redirect": ("302 Found", f"Location: http://127.0.0.1:{self.port}/ok\r\n", ""),
            "/gone": ("410 Gone", "", "endpoint removed"),
            "/big": ("500 Internal Server Error", "", f"echo {self.echo} " + "x" * 10_000),
        }.get(path, ("204 No Content", "", ""))
        data = payload.encode()
        head = f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        return head.encode() + data


@dataclass(frozen=True)
class Certificates:
    """A throw-away CA and a server certificate for `receiver.test`, signed by it."""

    ca_pem: bytes
    chain: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey] | None
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    folder = tmp_path_factory.mktemp("tls")
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("DIMM test CA", ca_key, None)
    server = _certificate("receiver.test", server_key, ("DIMM test CA", ca_key))
    pem = serialization.Encoding.PEM
    chain, key = folder / "chain.pem", folder / "key.pem"
    chain.write_bytes(server.public_bytes(pem) + ca.public_bytes(pem))
    key.write_bytes(
        server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Certificates(ca.public_bytes(pem), chain, key)


async def _serve(receiver: Receiver, tls: ssl.SSLContext | None = None) -> asyncio.Server:
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0, ssl=tls)
    receiver.port = server.sockets[0].getsockname()[1]
    return server


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    server = await _serve(receiver)
    async with server:
        yield receiver


@pytest_asyncio.fixture
async def tls_receiver(certificates: Certificates) -> AsyncIterator[Receiver]:
    receiver = Receiver()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.chain, certificates.key)
    context.sni_callback = lambda _sock, name, _ctx: receiver.server_names.append(name)
    server = await _serve(receiver, context)
    async with server:
        yield receiver


def _resolving_to(address: str) -> tuple[list[str], Resolver]:
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return [address]

    return asked, resolve


def _signed(secrets: list[str]) -> dict[str, str]:
    return webhooks.headers(secrets, webhooks.new_message_id(), int(time.time()), BODY)


class TestDelivery:
    @pytest.mark.asyncio
    async def test_a_delivery_arrives_signed_and_verifies_with_standardwebhooks(
        self, receiver: Receiver
    ) -> None:
        old, new = webhooks.new_secret(), webhooks.new_secret()
        async with WebhookClient(allow=LOCAL) as client:
            result = await client.deliver(f"http://127.0.0.1:{receiver.port}/ok", _signed([new, old]), BODY)
        [got] = receiver.received
        assert (result.outcome, result.status_code) == (Outcome.DELIVERED, 204)
        assert result.latency_ms > 0
        assert Webhook(new).verify(got.body, got.headers)["data"]["titre"] == "Échéance"
        assert Webhook(old).verify(got.body, got.headers) is not None
        assert got.headers["content-type"] == "application/json"
        assert got.headers["user-agent"] == webhooks.USER_AGENT

    @pytest.mark.asyncio
    async def test_a_302_is_a_failure_and_is_not_followed(self, receiver: Receiver) -> None:
        async with WebhookClient(allow=LOCAL) as client:
            result = await client.deliver(f"http://127.0.0.1:{receiver.port}/redirect", {}, BODY)
        assert (result.outcome, result.status_code) == (Outcome.FAILED, 302)
        assert [r.path for r in receiver.received] == ["/redirect"]

    @pytest.mark.asyncio
    async def test_a_410_is_gone(self, receiver: Receiver) -> None:
        async with WebhookClient(allow=LOCAL) as client:
            result = await client.deliver(f"http://127.0.0.1:{receiver.port}/gone", {}, BODY)
        assert (result.outcome, result.status_code, result.response_excerpt) == (
            Outcome.GONE,
            410,
            "endpoint removed",
        )

    @pytest.mark.asyncio
    async def test_a_slow_receiver_times_out(self, receiver: Receiver) -> None:
        async with WebhookClient(allow=LOCAL, timeout=0.2) as client:
            result = await client.deliver(f"http://127.0.0.1:{receiver.port}/slow", {}, BODY)
        assert result.outcome is Outcome.TIMEOUT
        assert result.status_code is None
        assert 150 < result.latency_ms < 1500

    @pytest.mark.asyncio
    async def test_the_excerpt_is_short_and_holds_no_secret(self, receiver: Receiver) -> None:
        secret = webhooks.new_secret()
        receiver.echo = secret
        async with WebhookClient(allow=LOCAL) as client:
            result = await client.deliver(
                f"http://127.0.0.1:{receiver.port}/big", _signed([secret]), BODY, redact=[secret]
            )
        assert (result.outcome, result.status_code) == (Outcome.FAILED, 500)
        assert len(result.response_excerpt) == EXCERPT_LIMIT
        assert result.response_excerpt.startswith("echo [redacted] xxx")

    @pytest.mark.asyncio
    async def test_a_closed_port_is_a_network_error(self) -> None:
        receiver = Receiver()
        server = await _serve(receiver)
        server.close()
        await server.wait_closed()
        async with WebhookClient(allow=LOCAL) as client:
            result = await client.deliver(f"http://127.0.0.1:{receiver.port}/ok", {}, BODY)
        assert result.outcome is Outcome.NETWORK_ERROR


class TestGuard:
    @pytest.mark.asyncio
    async def test_a_name_resolving_to_loopback_is_refused_unless_allowed(self, receiver: Receiver) -> None:
        _, resolve = _resolving_to("127.0.0.1")
        url = f"http://hooks.made-up.test:{receiver.port}/ok"
        async with WebhookClient(resolver=resolve) as guarded:
            refused = await guarded.deliver(url, {}, BODY)
        assert refused.outcome is Outcome.REFUSED
        assert "loopback" in refused.detail
        assert receiver.received == []
        async with WebhookClient(resolver=resolve, allow=LOCAL) as allowed:
            assert (await allowed.deliver(url, {}, BODY)).outcome is Outcome.DELIVERED

    @pytest.mark.asyncio
    async def test_the_connection_goes_to_the_checked_address_with_the_host_kept(
        self, receiver: Receiver
    ) -> None:
        asked, resolve = _resolving_to("127.0.0.1")
        async with WebhookClient(resolver=resolve, allow=LOCAL) as client:
            result = await client.deliver(f"http://hooks.made-up.test:{receiver.port}/in?x=1", {}, BODY)
        [got] = receiver.received
        assert result.outcome is Outcome.DELIVERED
        assert asked == ["hooks.made-up.test"]
        assert (got.path, got.headers["host"]) == ("/in?x=1", f"hooks.made-up.test:{receiver.port}")

    @pytest.mark.asyncio
    async def test_localhost_is_refused_by_the_system_resolver(self, receiver: Receiver) -> None:
        async with WebhookClient() as client:
            result = await client.deliver(f"http://localhost:{receiver.port}/ok", {}, BODY)
        assert result.outcome is Outcome.REFUSED
        assert receiver.received == []


class TestTls:
    @pytest.mark.asyncio
    async def test_tls_to_the_checked_address_keeps_the_name_for_sni_and_the_certificate(
        self, tls_receiver: Receiver, certificates: Certificates
    ) -> None:
        _, resolve = _resolving_to("127.0.0.1")
        trust = ssl.create_default_context(cadata=certificates.ca_pem.decode())
        secret = webhooks.new_secret()
        async with WebhookClient(resolver=resolve, allow=LOCAL, verify=trust) as client:
            result = await client.deliver(
                f"https://receiver.test:{tls_receiver.port}/ok", _signed([secret]), BODY
            )
        [got] = tls_receiver.received
        assert result.outcome is Outcome.DELIVERED
        assert tls_receiver.server_names == ["receiver.test"]
        assert got.headers["host"] == f"receiver.test:{tls_receiver.port}"
        assert Webhook(secret).verify(got.body, got.headers) is not None

    @pytest.mark.asyncio
    async def test_a_certificate_for_another_name_is_refused(
        self, tls_receiver: Receiver, certificates: Certificates
    ) -> None:
        _, resolve = _resolving_to("127.0.0.1")
        trust = ssl.create_default_context(cadata=certificates.ca_pem.decode())
        async with WebhookClient(resolver=resolve, allow=LOCAL, verify=trust) as client:
            result = await client.deliver(f"https://impostor.test:{tls_receiver.port}/ok", {}, BODY)
        assert result.outcome is Outcome.NETWORK_ERROR
        assert "CERTIFICATE_VERIFY_FAILED" in result.detail
        assert tls_receiver.received == []
