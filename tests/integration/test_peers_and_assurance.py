"""Assurance from assessment to scoring, and peers from a benchmark snapshot, on the real stack."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.events.contracts import build_registry
from shared.events.contracts.benchmark import CohortSummary, FigureSummary, SnapshotPublished
from shared.events.contracts.scoring import DiagnosticScored
from shared.events.envelope import Envelope, decode, encode, new_envelope
from shared.messaging.kafka import KafkaSender
from shared.messaging.topics import events_topic
from shared.model.editions import SME_PROFILE
from tests.integration.conftest import (
    V1,
    Tenant,
    new_tenant,
    records_with_subject,
    scorecard_of,
    submitted_diagnostic,
)
from tests.stack import Backend

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
LEVERS = ("S", "OR", "PE", "OF", "TI", "E")


class TestAssurance:
    async def test_a_diagnostic_validated_throughout_is_scored_as_expert_validated(
        self, http: httpx.AsyncClient, scoring_http: httpx.AsyncClient, backend: Backend
    ) -> None:
        tenant = await new_tenant(http)
        org, diag = await submitted_diagnostic(tenant, dict.fromkeys(SME_PROFILE, 3), validated=True)
        view = (await tenant.call("GET", f"{V1}/diagnostics/{diag}")).json()
        assert view["assurance"] == "expert_validated"
        [record] = await records_with_subject(backend, events_topic("scoring"), org)
        scored = build_registry().payload(decode(record.headers, record.value))
        assert isinstance(scored, DiagnosticScored)
        assert scored.assurance == "expert_validated"
        card = await scorecard_of(scoring_http, tenant, diag)
        assert card["assurance"] == "expert_validated"

    async def test_levels_left_to_the_respondents_are_self_assessed(
        self, http: httpx.AsyncClient, scoring_http: httpx.AsyncClient
    ) -> None:
        tenant = await new_tenant(http)
        _, diag = await submitted_diagnostic(tenant, dict.fromkeys(SME_PROFILE, 3))
        assert (await tenant.call("GET", f"{V1}/diagnostics/{diag}")).json()["assurance"] == "self_assessed"
        assert (await scorecard_of(scoring_http, tenant, diag))["assurance"] == "self_assessed"


def _cohort(
    sector: str | None, size_band: str | None, *, median: float, withheld: bool = False
) -> CohortSummary:
    figures = [
        FigureSummary(
            figure=name,
            organisations=37,
            mean=median,
            quartiles=[median - 0.5, median, median + 0.5],
            bands=[0.2] * 5,
        )
        for name in ("overall", *(f"lever:{code}" for code in LEVERS))
    ]
    return CohortSummary(
        assurance="all",
        sector=sector,
        size_band=size_band,
        region=None,
        organisations=None if withheld else 37,
        withheld=withheld,
        figures=[] if withheld else figures,
    )


def _snapshot(taken_at: datetime, *, median: float) -> SnapshotPublished:
    return SnapshotPublished(
        snapshot_id="snap_" + uuid.uuid4().hex[:8],
        model_id="dimm",
        model_version="2.0.0",
        taken_at=taken_at,
        min_cohort_size=5,
        organisations=400,
        cohorts=[
            _cohort("commerce", "PME", median=median, withheld=True),
            _cohort("commerce", None, median=median),
            _cohort(None, None, median=median - 1),
        ],
    )


async def _publish(backend: Backend, snapshot: SnapshotPublished) -> Envelope:
    envelope = new_envelope(snapshot, source="/dimm/benchmark", subject=snapshot.model_id)
    record = encode(envelope)
    sender = KafkaSender(backend.kafka_bootstrap_servers, client_id="test-benchmark")
    await sender.start()
    try:
        await (
            await sender.send(events_topic("benchmark"), record.value, key=record.key, headers=record.headers)
        )
    finally:
        await sender.stop()
    return envelope


async def _peers_of(http: httpx.AsyncClient, tenant: Tenant, diag: str, snapshot_id: str) -> dict[str, Any]:
    """Read the scorecard until it is compared with this snapshot (20 s at most)."""
    deadline = asyncio.get_running_loop().time() + 20
    while asyncio.get_running_loop().time() < deadline:
        card = await scorecard_of(http, tenant, diag)
        if card["peers"] is not None and card["peers"]["snapshot_id"] == snapshot_id:
            return card
        await asyncio.sleep(0.1)
    raise AssertionError(f"the scorecard was never compared with {snapshot_id}")


class TestPeers:
    async def test_a_premium_tenant_sees_its_peers_and_a_free_one_does_not(
        self, http: httpx.AsyncClient, scoring_http: httpx.AsyncClient, backend: Backend
    ) -> None:
        premium, free = await new_tenant(http, plan="premium"), await new_tenant(http, plan="free")
        _, premium_diag = await submitted_diagnostic(premium, dict.fromkeys(SME_PROFILE, 2))
        _, free_diag = await submitted_diagnostic(free, dict.fromkeys(SME_PROFILE, 2))
        snapshot = _snapshot(datetime.now(UTC), median=2.4)
        await _publish(backend, snapshot)

        card = await _peers_of(scoring_http, premium, premium_diag, snapshot.snapshot_id)
        peers = card["peers"]
        assert peers["label"] == "commerce et distribution, toutes tailles, toutes régions"
        assert (peers["sector"], peers["size_band"], peers["organisations"]) == ("commerce", None, 37)
        assert peers["overall"] == {"median": 2.4, "quartiles": [1.9, 2.4, 2.9], "organisations": 37}
        assert set(peers["levers"]) == set(LEVERS)
        assert card["peers_available_with"] is None
        report = await scoring_http.get(
            f"/scoring/v1/diagnostics/{premium_diag}/report", headers=premium.headers
        )
        assert "comparé à 37 organisations : commerce et distribution, toutes tailles" in report.text

        other = await scorecard_of(scoring_http, free, free_diag)
        assert (other["peers"], other["peers_available_with"]) == (None, "premium")
        page = await scoring_http.get(f"/scoring/v1/diagnostics/{free_diag}/report", headers=free.headers)
        assert "médiane des pairs" not in page.text

    async def test_an_older_snapshot_arriving_late_changes_nothing(
        self, http: httpx.AsyncClient, scoring_http: httpx.AsyncClient, scoring: FastAPI, backend: Backend
    ) -> None:
        tenant = await new_tenant(http, plan="premium")
        _, diag = await submitted_diagnostic(tenant, dict.fromkeys(SME_PROFILE, 2))
        latest = _snapshot(datetime.now(UTC), median=3.0)
        await _publish(backend, latest)
        await _peers_of(scoring_http, tenant, diag, latest.snapshot_id)

        late = await _publish(backend, _snapshot(datetime.now(UTC) - timedelta(days=7), median=1.0))
        processed = scoring.state.deps.runtime.db["processed_events"]
        deadline = asyncio.get_running_loop().time() + 20
        while not await processed.count_documents({"_id": late.dedupe_key}):
            assert asyncio.get_running_loop().time() < deadline, "the late snapshot was never consumed"
            await asyncio.sleep(0.1)
        card = await scorecard_of(scoring_http, tenant, diag)
        assert card["peers"]["snapshot_id"] == latest.snapshot_id
        assert card["peers"]["overall"]["median"] == 3.0
