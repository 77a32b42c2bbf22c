"""The report as a PDF file: printed by headless Chromium, one short-lived process per page."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import tempfile
from pathlib import Path

from shared.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

#: Headless, no sandbox (containers run it as root), nothing fetched or synced. The page is ours, every
#: text in it escaped and without script (`--blink-settings=scriptEnabled=false` stops the printing).
HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
CHROMIUM_FLAGS = (*HEADLESS, "--no-pdf-header-footer")
NO_RENDERER = (
    "No PDF renderer on this server (headless Chromium is not installed): "
    "open the HTML report and print it from the browser instead."
)


class ChromiumPdf:
    """Print self-contained HTML pages to PDF with headless Chromium, a few at a time."""

    def __init__(self, executable: str, *, timeout_seconds: float, concurrency: int) -> None:
        self._executable = executable
        self._timeout = timeout_seconds
        self._gate = asyncio.Semaphore(concurrency)

    @property
    def available(self) -> bool:
        """Tell whether the browser is installed here."""
        return shutil.which(self._executable) is not None

    async def render(self, html: str) -> bytes:
        """Return the page printed as PDF (A4, as its print style asks), or raise ServiceUnavailable."""
        browser = shutil.which(self._executable)
        if browser is None:
            raise ServiceUnavailable(NO_RENDERER)
        async with self._gate:
            with tempfile.TemporaryDirectory(prefix="dimm-pdf-") as folder:
                page, pdf = Path(folder) / "report.html", Path(folder) / "report.pdf"
                await asyncio.to_thread(page.write_text, html, encoding="utf-8")
                await self._print(browser, page, pdf, Path(folder) / "profile")
                if not pdf.exists():
                    raise ServiceUnavailable("The PDF renderer produced nothing; try again shortly.")
                return await asyncio.to_thread(pdf.read_bytes)

    async def _print(self, browser: str, page: Path, pdf: Path, profile: Path) -> None:
        process = await asyncio.create_subprocess_exec(
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            # Its own process group: a timeout ends the browser and every helper process it started.
            start_new_session=True,
        )
        try:
            _, errors = await asyncio.wait_for(process.communicate(), self._timeout)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            raise ServiceUnavailable("The PDF renderer took too long; try again shortly.") from None
        if process.returncode != 0:
            logger.warning("chromium --print-to-pdf failed (%s): %s", process.returncode, errors[-500:])
            raise ServiceUnavailable("The PDF renderer failed; try again shortly.")
