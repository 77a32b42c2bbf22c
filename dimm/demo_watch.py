"""The demo's watch: real notices and a DIMM 2.1.0 edition published, alerts, an inbox, webhooks received."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from dimm.demo_data import Seeded
from dimm.demo_http import check, until
from shared.model.editions import MODEL_ID, _v2_document

logger = logging.getLogger(__name__)

W1 = "/watch/v1"
#: Catalogue notices the demo's organisations meet: the EAA (TIO2 < 3 from PME up), the first wave
#: of electronic invoicing (ORP1 < 2 or EE2 < 2) and the end of Windows 10 (every full diagnostic).
NOTICES = ("ntc_eaa_2025", "ntc_einvoicing_2026", "ntc_windows10_eos_2025")
EDITION = "2.1.0"
#: The notice the watch service publishes by itself for the edition (its `model_notice_id`).
MODEL_NOTICE = f"ntc_model_{MODEL_ID}_2_0_0_{EDITION}".replace(".", "_")
ACCESSIBILITY = "TIO2"
#: A fixed port, so the endpoint stored by a first run still reaches the receiver of later ones.
RECEIVER_PORT = 18090
RECEIVER_URL = f"http://127.0.0.1:{RECEIVER_PORT}/webhooks"
DEMO_EMAIL = "veille@demo.dimm.local"  # never a real mailbox: under dimm up, the mail sink
WEBHOOKS_DIR = "demo-webhooks"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def edition() -> dict[str, Any]:
    """Return the DIMM 2.1.0 document: 2.0.0 with TIO2's default target raised to 4 (the EAA)."""
    document = _v2_document()
    document["version"] = EDITION
    document["description"] += (
        " Version 2.1.0 : la cible par défaut de l'accessibilité (TIO2) passe à 4, "
        "l'European Accessibility Act s'appliquant depuis le 28 juin 2025."
    )
    for indicator in _indicators(document):
        if indicator["code"] == ACCESSIBILITY:
            indicator["default_target"] = 4
    return document


def _indicators(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for lever in document["levers"]:
        for groupement in lever["groupements"]:
            yield from groupement["indicators"]


def message_file(folder: Path, webhook_id: str) -> Path:
    """Return where a received message is written: one file per webhook id, whatever the id holds."""
    return folder / f"{_UNSAFE.sub('_', webhook_id) or 'unnamed'}.json"


def message_record(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """Return what is kept of a received message: its Standard Webhooks headers and its JSON body."""
    try:
        payload: Any = json.loads(body)
    except ValueError:
        payload = body.decode(errors="replace")
    kept = {name: value for name, value in headers.items() if name.startswith("webhook-")}
    return {"headers": kept, "body": payload}


async def _read_request(reader: asyncio.StreamReader) -> tuple[dict[str, str], bytes]:
    await reader.readline()  # the request line: every request is a delivery
    headers: dict[str, str] = {}
    while (line := (await reader.readline()).decode("latin-1").strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers, await reader.readexactly(int(headers.get("content-length", "0")))


@dataclass
class WebhookReceiver:
    """A small HTTP server on 127.0.0.1 writing each message it receives to `<folder>/<webhook-id>.json`."""

    folder: Path
    received: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Write one message to its file and answer 204 (400 when it has no webhook-id)."""
        try:
            headers, body = await _read_request(reader)
            webhook_id = headers.get("webhook-id")
            if webhook_id:
                self.folder.mkdir(parents=True, exist_ok=True)
                record = json.dumps(message_record(headers, body), ensure_ascii=False, indent=2)
                message_file(self.folder, webhook_id).write_text(record + "\n", encoding="utf-8")
                self.received += 1
            status = "204 No Content" if webhook_id else "400 Bad Request"
            writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            logger.warning("the demo's webhook receiver dropped a request: %s", exc)
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def receiving(folder: Path, *, port: int = RECEIVER_PORT) -> AsyncIterator[WebhookReceiver]:
    """Receive webhooks while inside; when the port is taken, another demo receiver is trusted to."""
    receiver = WebhookReceiver(folder)
    try:
        server = await asyncio.start_server(receiver.handle, "127.0.0.1", port)
    except OSError as exc:
        logger.warning("port %d is taken (%s): webhooks go to the receiver already there", port, exc)
        yield receiver
        return
    async with server:
        yield receiver


async def receive_forever(data_dir: Path) -> None:
    """Run the demo's webhook receiver until the process ends (`dimm up`)."""
    async with receiving(data_dir / WEBHOOKS_DIR):
        await asyncio.Event().wait()


@dataclass(frozen=True)
class WatchLinks:
    """What the demo's watch hands out: a Veille page and the inbox (bearer token), where webhooks land."""

    veille: str
    inbox: str
    webhooks: Path
    alerts: int
    created: bool


async def _endpoint(http: httpx.AsyncClient, auth: dict[str, str]) -> tuple[str, bool]:
    """Return the id of the account's endpoint to the demo receiver, and whether it was created now."""
    listed = await _listed(await http.get(f"{W1}/webhooks/endpoints", headers=auth), "webhook endpoints")
    found = next((e for e in listed if e["url"] == RECEIVER_URL), None)
    if found is not None:
        return str(found["id"]), False
    body = {"url": RECEIVER_URL, "description": "Récepteur local de la démo (dimm demo)"}
    created = await check(await http.post(f"{W1}/webhooks/endpoints", json=body, headers=auth), "endpoint")
    return str(created["id"]), True


async def _done(response: httpx.Response, what: str) -> bool:
    """Tell whether a step moved something (False when a previous run did it already: 409)."""
    if response.status_code == 409:
        return False
    await check(response, what)
    return response.status_code in (200, 201)


async def publish_notices(http: httpx.AsyncClient, operator: dict[str, str]) -> bool:
    """Publish the demo's catalogue notices (those already published stay); say whether any was now."""
    published = False
    for notice_id in NOTICES:
        answer = await http.post(f"{W1}/ops/notices/{notice_id}/publish", headers=operator)
        published |= await _done(answer, f"publish {notice_id}")
    return published


async def publish_edition(http: httpx.AsyncClient, operator: dict[str, str]) -> bool:
    """Publish DIMM 2.1.0 through the catalogue API as an operator would; say whether it is new."""
    url = f"/assessment/v1/models/{MODEL_ID}/versions/{EDITION}"
    answer = await http.put(url, json=edition(), headers=operator)
    return await _done(answer, f"publish DIMM {EDITION}") and answer.status_code == 201


async def _inbox_covers(http: httpx.AsyncClient, auth: dict[str, str], expected: frozenset[str]) -> bool:
    found = await http.get(f"{W1}/inbox", headers=auth)
    return found.status_code == 200 and expected <= {i["notice_id"] for i in found.json()["items"]}


async def _open_alerts(http: httpx.AsyncClient, auth: dict[str, str], organisation_id: str) -> int:
    url = f"{W1}/organisations/{organisation_id}/alerts"
    return len(await _listed(await http.get(url, params={"status": "open"}, headers=auth), "alerts"))


async def _listed(response: httpx.Response, what: str) -> list[Any]:
    if response.status_code >= 400:
        await check(response, what)
    return list(response.json())


async def _tried(http: httpx.AsyncClient, auth: dict[str, str], endpoint_id: str) -> bool:
    """Tell whether every message to the endpoint was attempted at least once.

    Not that each was delivered: one that failed (no receiver was listening) comes again on the
    retry schedule, minutes later, and the demo does not wait for it.
    """
    url = f"{W1}/webhooks/endpoints/{endpoint_id}/deliveries"
    log = await _listed(await http.get(url, headers=auth), "delivery log")
    return bool(log) and all(d["attempts"] for d in log)


async def watch_demo(
    http: httpx.AsyncClient,
    operator: dict[str, str],
    *,
    auth: dict[str, str],
    seeded: list[Seeded],
    data_dir: Path,
) -> WatchLinks:
    """Publish notices and the 2.1.0 edition, wait for alerts, inbox and webhooks; return where to look."""
    endpoint_id, created = await _endpoint(http, auth)
    # E-mails of the default cadences: critical alerts at once, the rest in a weekly digest (the mail sink).
    await check(await http.put(f"{W1}/preferences", json={"email": DEMO_EMAIL}, headers=auth), "preferences")
    created |= await publish_notices(http, operator)
    created |= await publish_edition(http, operator)
    expected = frozenset((*NOTICES, MODEL_NOTICE))
    await until(partial(_inbox_covers, http, auth, expected), "every demo notice in the demo's inbox")
    counts = await asyncio.gather(*(_open_alerts(http, auth, s.organisation_id) for s in seeded))
    await until(partial(_tried, http, auth, endpoint_id), "the demo's webhooks attempted")
    most = max(range(len(seeded)), key=counts.__getitem__)
    # The Veille page also takes the token in its URL (a browser); the inbox is an API route.
    return WatchLinks(
        veille=f"{W1}/organisations/{seeded[most].organisation_id}/veille",
        inbox=f"{W1}/inbox",
        webhooks=data_dir / WEBHOOKS_DIR,
        alerts=sum(counts),
        created=created,
    )
