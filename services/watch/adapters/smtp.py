"""Send rendered e-mails over SMTP with the standard library, off the event loop."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from services.watch.domain.emails import OutgoingEmail
from services.watch.domain.mailings import DeliveryFailed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSender:
    """Hand e-mails to an SMTP server, optionally over STARTTLS and with a login."""

    host: str
    port: int
    username: str | None = field(default=None, kw_only=True)
    password: str | None = field(default=None, kw_only=True, repr=False)
    starttls: bool = field(default=False, kw_only=True)
    sender: str = field(default="veille@dimm.local", kw_only=True)
    timeout: float = field(default=15, kw_only=True)
    local_hostname: str | None = field(default=None, kw_only=True)

    async def send(self, message: OutgoingEmail) -> None:
        """Send one e-mail as multipart/alternative (text, then HTML); raise DeliveryFailed."""
        mime = self.compose(message)
        await asyncio.to_thread(self._deliver, mime)
        logger.info("E-mail %s accepted by %s:%s", message.key, self.host, self.port)

    def compose(self, message: OutgoingEmail) -> EmailMessage:
        """Build the MIME message the server receives."""
        mime = EmailMessage()
        try:
            mime["From"], mime["To"], mime["Subject"] = self.sender, message.to, message.subject
            mime["Date"] = formatdate(localtime=False, usegmt=True)
            for name, value in message.headers.items():
                mime[name] = value
        except ValueError as error:
            # A header the policy refuses (a line break, a malformed address) never gets better.
            raise DeliveryFailed(
                f"E-mail {message.key} has an invalid header: {error}", transient=False
            ) from error
        mime.set_content(message.text)
        mime.add_alternative(message.html, subtype="html")
        return mime

    def _deliver(self, mime: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, self.local_hostname, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mime, from_addr=parseaddr(self.sender)[1])
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _failure(code, reply) from error
        except smtplib.SMTPResponseException as error:
            raise _failure(error.smtp_code, error.smtp_error) from error
        except smtplib.SMTPServerDisconnected as error:
            raise DeliveryFailed(f"The SMTP server hung up: {error}", transient=True) from error
        except smtplib.SMTPException as error:
            # A missing extension or authentication method is a configuration error: retrying won't help.
            raise DeliveryFailed(f"The SMTP exchange failed: {error}", transient=False) from error
        except OSError as error:
            # Refused connections, timeouts, resets and TLS drops: the server may be back soon.
            raise DeliveryFailed(f"Cannot reach the SMTP server: {error!r}", transient=True) from error


def _failure(code: int, reply: bytes | str) -> DeliveryFailed:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    # 4xx asks to try again later, 5xx refuses for good; anything else (-1: no reply) is transient.
    transient = not 500 <= code < 600
    return DeliveryFailed(f"The SMTP server answered {code} {text}", transient=transient, code=code)
