"""The local mail sink of `dimm up`: the watch service's e-mails land in files a developer can read."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from services.watch.adapters.mail_sink import MailSink

logger = logging.getLogger("dimm")
SMTP_HOST_ENV = "DIMM_WATCH_SMTP_HOST"
SMTP_PORT_ENV = "DIMM_WATCH_SMTP_PORT"
DEFAULT_PORT = 2525
MAIL_DIR = "mail"


def wanted() -> bool:
    """Tell whether e-mails stay local: no SMTP server was configured."""
    return not os.environ.get(SMTP_HOST_ENV)


async def sink_forever(data_dir: Path) -> None:
    """Receive the watch's e-mails on 127.0.0.1 until the process ends, each in a `.eml` file."""
    port = int(os.environ.get(SMTP_PORT_ENV, DEFAULT_PORT))
    sink = MailSink(port=port, directory=data_dir / MAIL_DIR)
    try:
        await sink.start()
    except OSError as exc:
        logger.warning("the local mail sink could not listen on port %d: %s", port, exc)
        return
    logger.info("e-mails of the watch service are written to %s", data_dir / MAIL_DIR)
    try:
        await asyncio.Event().wait()
    finally:
        await sink.stop()
