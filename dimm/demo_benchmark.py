"""The demo's benchmark: wait until every diagnostic counts, publish a snapshot, run a national study."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx

from dimm.demo_data import SHOWCASE, STUDY_SECTOR, Seeded
from dimm.demo_http import DemoError, check, until

B1 = "/benchmark/v1"
STUDY_TITLE = "Maturité digitale du logement social — étude nationale de démonstration"
STUDY_MIN_PARTICIPANTS = 6
SNAPSHOT_ATTEMPTS = 50


async def _answers(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], accepted: tuple[int, ...] = (200,)
) -> bool:
    return (await http.get(url, headers=headers)).status_code in accepted


async def wait_counted(http: httpx.AsyncClient, auth: dict[str, str], seeded: list[Seeded]) -> None:
    """Wait until scoring has scored each organisation's latest diagnostic and the benchmark counts it."""
    for organisation in seeded:
        card = f"/scoring/v1/diagnostics/{organisation.diagnostic_id}/scorecard"
        await until(partial(_answers, http, card, auth), f"{organisation.demo.name}: scored")
        # 404 until the benchmark has counted a scored diagnostic; 503 while no snapshot exists yet.
        position = f"{B1}/organisations/{organisation.organisation_id}/position"
        await until(partial(_answers, http, position, auth, (200, 503)), f"{organisation.demo.name}: counted")


async def _counts_latest(
    http: httpx.AsyncClient, auth: dict[str, str], showcase: Seeded, overall: float
) -> bool:
    """Tell whether the benchmark counts the showcase with its latest diagnostic, not its earlier one."""
    found = await http.get(f"{B1}/organisations/{showcase.organisation_id}/position", headers=auth)
    if found.status_code != 200:
        return False  # before the first snapshot the position shows no value
    everyone = found.json()["all_organisations"] or {"figures": []}
    own = next((f["own_value"] for f in everyone["figures"] if f["figure"] == "overall"), None)
    return own is not None and abs(own - overall) < 0.006


async def _snapshot(
    http: httpx.AsyncClient, operator: dict[str, str], auth: dict[str, str], showcase: Seeded
) -> str:
    """Take a snapshot in which the showcase counts with its latest diagnostic; return its id."""
    card = await check(
        await http.get(f"/scoring/v1/diagnostics/{showcase.diagnostic_id}/scorecard", headers=auth),
        "scorecard",
    )
    for _ in range(SNAPSHOT_ATTEMPTS):
        # Read before the snapshot, so what counts then counts in it; with no snapshot yet this
        # reads nothing, so a fresh platform gets two.
        counted = await _counts_latest(http, auth, showcase, card["overall"]["score"])
        record = await check(await http.post(f"{B1}/ops/snapshots", headers=operator), "snapshot")
        if counted:
            return str(record["snapshot_id"])
        await asyncio.sleep(0.2)
    raise DemoError(f"the benchmark never counted {showcase.demo.name}'s latest diagnostic")


async def _compared(
    http: httpx.AsyncClient, auth: dict[str, str], diagnostic_id: str, snapshot_id: str
) -> bool:
    found = await http.get(f"/scoring/v1/diagnostics/{diagnostic_id}/scorecard", headers=auth)
    peers = found.json().get("peers") if found.status_code == 200 else None
    return peers is not None and peers["snapshot_id"] == snapshot_id


async def _create_study(
    http: httpx.AsyncClient, operator: dict[str, str], model_version: str
) -> dict[str, Any]:
    now = datetime.now(UTC)
    body = {
        "title": STUDY_TITLE,
        "sector": STUDY_SECTOR,
        "model_version": model_version,
        # A year back: the period covers every diagnostic the demo has seeded, earlier runs' too.
        "opens_at": (now - timedelta(days=365)).isoformat(),
        "closes_at": (now + timedelta(days=30)).isoformat(),
        "min_participants": STUDY_MIN_PARTICIPANTS,
    }
    return await check(await http.post(f"{B1}/studies", json=body, headers=operator), "create the study")


async def run_study(
    http: httpx.AsyncClient, operator: dict[str, str], auth: dict[str, str], participants: list[Seeded]
) -> tuple[str, bool]:
    """Take the study from where it stands to published; return its id and whether this run moved it."""
    listed = (await check(await http.get(f"{B1}/studies"), "studies"))["studies"]
    study = next((s for s in listed if s["title"] == STUDY_TITLE), None)
    study = study or await _create_study(http, operator, participants[0].model_version)
    moved, url = study["status"] != "published", f"{B1}/studies/{study['study_id']}"
    if study["status"] == "draft":
        study = await check(await http.post(f"{url}/open", headers=operator), "open the study")
    if study["status"] == "open":
        for organisation in participants:
            body = {"organisation_id": organisation.organisation_id}
            await check(await http.post(f"{url}/participants", json=body, headers=auth), "enrol")
        study = await check(await http.post(f"{url}/close", headers=operator), "close the study")
    if study["status"] == "closed":
        await check(await http.post(f"{url}/publish", headers=operator), "publish the study")
    return str(study["study_id"]), moved


async def benchmark_demo(
    http: httpx.AsyncClient,
    operator: dict[str, str],
    auth: dict[str, str],
    seeded: list[Seeded],
    *,
    changed: bool,
) -> tuple[str, bool]:
    """Publish a snapshot the showcase's report compares with, and the study; return the study's id."""
    await wait_counted(http, auth, seeded)
    showcase = next(s for s in seeded if s.demo is SHOWCASE)
    latest = await http.get(f"{B1}/snapshots/latest", headers=auth)
    if changed or latest.status_code == 404:
        snapshot_id = await _snapshot(http, operator, auth, showcase)
    else:
        snapshot_id = str((await check(latest, "latest snapshot"))["snapshot_id"])
    # The report shows the peers once scoring has consumed the snapshot's event.
    compared = partial(_compared, http, auth, showcase.diagnostic_id, snapshot_id)
    await until(compared, f"{showcase.demo.name}'s report compared with snapshot {snapshot_id}")
    participants = [s for s in seeded if s.demo.body["sector"] == STUDY_SECTOR]
    return await run_study(http, operator, auth, participants)
