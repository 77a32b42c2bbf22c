"""How the demo talks to the platform: a failed step names itself, and waits end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx


class DemoError(RuntimeError):
    """The demo could not be set up."""


async def check(response: httpx.Response, what: str) -> dict[str, Any]:
    """Return a response's JSON body, or raise DemoError naming the step that failed."""
    if response.status_code >= 400:
        raise DemoError(f"{what}: {response.status_code} {response.text[:300]}")
    return dict(response.json()) if response.content else {}


async def until(probe: Callable[[], Awaitable[bool]], what: str, *, seconds: float = 180) -> None:
    """Poll a condition until it holds, or raise DemoError saying what did not happen in time."""
    deadline = time.monotonic() + seconds
    while not await probe():
        if time.monotonic() > deadline:
            raise DemoError(f"{what}: not within {seconds:.0f} s")
        await asyncio.sleep(0.2)
