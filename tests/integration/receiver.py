"""A webhook receiver on 127.0.0.1 for the integration tests: it fails each message's first attempts."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Receiver:
    """An HTTP receiver on 127.0.0.1 failing every message's first two attempts (and all on /down)."""

    port: int = 0
    attempts: Counter[str] = field(default_factory=Counter)
    accepted: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _, path, _ = (await reader.readline()).decode().split(" ", 2)
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode().strip()) != "":
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.attempts[headers["webhook-id"]] += 1
            ok = self.attempts[headers["webhook-id"]] > 2 and path != "/down"
            if ok:
                self.accepted.append((headers, body))
            status = "204 No Content" if ok else "503 Service Unavailable"
            writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
        finally:
            writer.close()
