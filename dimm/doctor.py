"""`dimm doctor`: send a probe through every service and time each answer."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

PROBES_PATH = "/assessment/v1/ops/probes"


class DoctorError(RuntimeError):
    """The probe could not even be sent."""


@dataclass
class DoctorReport:
    """Which services answered a probe, how fast, and which did not."""

    probe_id: str
    expected: list[str]
    round_trips: dict[str, float] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        """List the services that did not answer in time."""
        return [s for s in self.expected if s not in self.round_trips]

    @property
    def healthy(self) -> bool:
        """Tell whether every service answered exactly once."""
        return not self.missing and all(n == 1 for n in self.deliveries.values())


async def run_doctor(base_url: str, token: str, *, timeout: float = 10.0) -> DoctorReport:
    """Send one probe and wait until every service answered or the timeout passed."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=5.0, headers=headers) as http:
        try:
            response = await http.post(PROBES_PATH, json={"count": 1})
        except httpx.TransportError as exc:
            raise DoctorError(f"assessment does not answer at {base_url}: {exc}") from exc
        if response.status_code in (401, 403):
            raise DoctorError(f"assessment refused the operator token ({response.status_code})")
        if response.status_code != 201:
            raise DoctorError(f"assessment answered {response.status_code}: {response.text[:200]}")
        probe = response.json()["probes"][0]
        report = DoctorReport(probe_id=probe["probe_id"], expected=list(probe["expected"]))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = (await http.get(f"{PROBES_PATH}/{report.probe_id}")).json()
            report.round_trips = {s: a["round_trip_seconds"] for s, a in state["answers"].items()}
            report.deliveries = {s: a["deliveries"] for s, a in state["answers"].items()}
            if state["status"] == "complete":
                break
            await asyncio.sleep(0.05)
        return report


def render(report: DoctorReport) -> str:
    """Render a report as a small table."""
    lines = [f"probe {report.probe_id}", f"{'service':<12} {'status':<10} round trip"]
    for service in report.expected:
        if service in report.round_trips:
            extra = (
                "" if report.deliveries.get(service, 1) == 1 else f" ({report.deliveries[service]} answers!)"
            )
            lines.append(f"{service:<12} {'ok':<10} {report.round_trips[service] * 1000:8.1f} ms{extra}")
        else:
            lines.append(f"{service:<12} {'NO ANSWER':<10}        -")
    if report.missing:
        lines.append(f"FAILED: no answer from {', '.join(report.missing)}")
    else:
        lines.append("every service answered")
    return "\n".join(lines)
