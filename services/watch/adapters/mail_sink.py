"""A local SMTP server that keeps every message as a .eml file, for `dimm up` and the tests."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType

from aiosmtpd.smtp import SMTP, Envelope, Session

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SunkMessage:
    """A message the sink received: its envelope, its parsed content and the file holding it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    path: Path


class MailSink:
    """Accept any e-mail on a local port and write it to a directory instead of delivering it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, directory: Path) -> None:
        self.host = host
        self.directory = directory
        self.messages: list[SunkMessage] = []
        self._requested_port = port
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """Give the port actually bound (the one the system picked when asked for port 0)."""
        if self._server is None:
            raise RuntimeError("The mail sink is not running.")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Listen for SMTP connections on the running event loop."""
        self.directory.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        # A fixed hostname spares aiosmtpd a reverse DNS lookup (socket.getfqdn) per connection.
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="dimm-mail-sink", enable_SMTPUTF8=True),
            host=self.host,
            port=self._requested_port,
        )
        logger.info("Mail sink listening on %s:%s, writing to %s", self.host, self.port, self.directory)

    async def stop(self) -> None:
        """Stop listening and close the open connections."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        await server.wait_closed()

    async def __aenter__(self) -> MailSink:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """Store a received message (aiosmtpd's hook for the DATA command)."""
        content = envelope.original_content or b""
        path = await asyncio.to_thread(self._write, content)
        parsed = message_from_bytes(content, policy=policy.default)
        rcpt_tos = tuple(str(rcpt) for rcpt in envelope.rcpt_tos)
        self.messages.append(SunkMessage(str(envelope.mail_from), rcpt_tos, parsed, path))
        logger.info("Mail sink stored %s", path.name)
        return "250 Message accepted for delivery"

    def _write(self, content: bytes) -> Path:
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        path = self.directory / name
        # Written aside then renamed, so a reader never opens half a message.
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(path)
        return path
