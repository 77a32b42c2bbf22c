"""E-mail delivery over real SMTP: the sender against the local mail sink and refusing servers."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.watch.adapters.mail_sink import MailSink
from services.watch.adapters.smtp import SmtpSender
from services.watch.domain.digests import digest_key, digest_period
from services.watch.domain.emails import DigestEntry, OutgoingEmail, ScoreChange, render_digest
from services.watch.domain.mailings import DeliveryFailed

PERIOD = digest_period("weekly", datetime(2025, 6, 30, 7, tzinfo=ZoneInfo("Europe/Paris")))
KEY = digest_key("acc-1", "email", PERIOD)
ENTRY = DigestEntry(
    notice_title="Édition 2.1 du modèle DIMM",
    kind="model",
    severity="warning",
    summary="La cible de TIO2 passe à 4.",
    organisation_name="Boulangerie Martin",
    indicators=("TIO2",),
    score_changes=(ScoreChange("Technologie", 2.31, 2.18),),
    criteria=("Sauvegardes chiffrées hors site",),
    link="/veille/org-1",
)


def a_digest() -> OutgoingEmail:
    return render_digest(
        [ENTRY],
        to="dpo@example.fr",
        period=PERIOD,
        key=KEY,
        base_url="https://dimm.example",
        preferences_url="https://dimm.example/preferences",
    )


def sender(port: int, *, username: str | None = None, password: str | None = None) -> SmtpSender:
    return SmtpSender(
        "127.0.0.1", port, username=username, password=password, local_hostname="localhost", timeout=3
    )


@pytest_asyncio.fixture
async def sink(tmp_path: Path) -> AsyncIterator[MailSink]:
    async with MailSink(directory=tmp_path / "mail") as running:
        yield running


class TestDeliveryToTheMailSink:
    @pytest.mark.asyncio
    async def test_a_digest_arrives_as_french_text_and_html_alternatives(self, sink: MailSink) -> None:
        email = a_digest()
        await sender(sink.port).send(email)

        [received] = sink.messages
        assert (received.mail_from, received.rcpt_tos) == ("veille@dimm.local", ("dpo@example.fr",))
        message = received.message
        assert message.get_content_type() == "multipart/alternative"
        assert message["Subject"] == "Veille DIMM : 1 alerte, semaine du 23 au 29 juin 2025"
        assert message["Message-ID"] == f"<{KEY}@dimm.local>"
        assert message["List-Unsubscribe"] == "<https://dimm.example/preferences>"
        text, html = message.get_body(("plain",)), message.get_body(("html",))
        assert text is not None
        assert html is not None
        assert "Votre score Technologie passerait de 2,31 à 2,18" in text.get_content()
        assert '<html lang="fr">' in html.get_content()
        assert "Sauvegardes chiffrées hors site" in html.get_content()

    @pytest.mark.asyncio
    async def test_each_message_is_written_as_an_eml_file(self, sink: MailSink) -> None:
        await sender(sink.port).send(a_digest())

        [path] = sorted(sink.directory.glob("*.eml"))
        assert path == sink.messages[0].path
        stored = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert stored["Message-ID"] == f"<{KEY}@dimm.local>"
        assert not list(sink.directory.glob("*.part"))

    @pytest.mark.asyncio
    async def test_the_sink_binds_a_free_port_and_reports_it(self, sink: MailSink, tmp_path: Path) -> None:
        async with MailSink(directory=tmp_path / "other") as other:
            assert 0 < other.port != sink.port

    @pytest.mark.asyncio
    async def test_the_password_never_shows(self, sink: MailSink, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        configured = sender(sink.port, username="veille", password="s3cret-p4ss")
        with pytest.raises(DeliveryFailed) as failure:
            await configured.send(a_digest())
        # The sink offers no AUTH: a configuration error, not worth retrying.
        assert not failure.value.transient
        assert "s3cret-p4ss" not in repr(configured)
        assert "s3cret-p4ss" not in caplog.text
        assert "s3cret-p4ss" not in str(failure.value)


class TestFailures:
    @pytest.mark.asyncio
    async def test_a_closed_port_is_a_transient_failure(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        with pytest.raises(DeliveryFailed) as failure:
            await sender(closed).send(a_digest())
        assert failure.value.transient

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("hook", "reply", "transient"),
        [
            ("handle_RCPT", "550 5.1.1 No such user", False),
            ("handle_RCPT", "451 4.3.0 Try again later", True),
            ("handle_DATA", "554 5.7.1 Rejected", False),
            ("handle_DATA", "452 4.3.1 Insufficient storage", True),
        ],
    )
    async def test_4xx_is_transient_and_5xx_permanent(self, hook: str, reply: str, transient: bool) -> None:
        async with _refusing_server(hook, reply) as port:
            with pytest.raises(DeliveryFailed) as failure:
                await sender(port).send(a_digest())
        assert (failure.value.transient, failure.value.code) == (transient, int(reply[:3]))

    @pytest.mark.asyncio
    async def test_a_header_with_a_line_break_is_a_permanent_failure(self, sink: MailSink) -> None:
        email = a_digest()
        forged = OutgoingEmail(
            email.to + "\r\nBcc: x@example.org", email.subject, email.text, email.html, email.key
        )
        with pytest.raises(DeliveryFailed) as failure:
            await sender(sink.port).send(forged)
        assert not failure.value.transient
        assert sink.messages == []


class _Refusing:
    def __init__(self, hook: str, reply: str) -> None:
        self.hook, self.reply = hook, reply

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.hook == "handle_RCPT":
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        return self.reply if self.hook == "handle_DATA" else "250 OK"


class _refusing_server:  # noqa: N801
    """Run an SMTP server that answers one command with a given reply."""

    def __init__(self, hook: str, reply: str) -> None:
        self.handler = _Refusing(hook, reply)

    async def __aenter__(self) -> int:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: SMTP(self.handler, hostname="refusing"), "127.0.0.1", 0
        )
        return int(self.server.sockets[0].getsockname()[1])

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        await self.server.wait_closed()
