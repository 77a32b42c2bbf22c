"""HTTP bodies of the assessment service (never reused as events)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.assessment.domain.probes import Probe


class ProbeRequestBody(BaseModel):
    """How many probes to send (one for a check, many for a load or fault test)."""

    count: int = Field(1, ge=1, le=10_000, description="Number of probes to send at once.")


class ProbeAnswerView(BaseModel):
    """One service's answer to a probe."""

    received_at: datetime
    answered_at: datetime
    round_trip_seconds: float
    deliveries: int = Field(description="Answers counted; more than 1 would mean a doubled effect.")


class ProbeView(BaseModel):
    """A probe and the answers received so far."""

    probe_id: str
    requested_at: datetime
    status: Literal["pending", "complete"]
    expected: list[str]
    missing: list[str]
    answers: dict[str, ProbeAnswerView]

    @classmethod
    def of(cls, probe: Probe) -> ProbeView:
        """Present a domain probe."""
        return cls(
            probe_id=probe.probe_id,
            requested_at=probe.requested_at,
            status=probe.status,
            expected=list(probe.expected),
            missing=probe.missing,
            answers={
                s: ProbeAnswerView(
                    received_at=a.received_at,
                    answered_at=a.answered_at,
                    round_trip_seconds=round(a.round_trip_seconds(probe.requested_at), 6),
                    deliveries=a.deliveries,
                )
                for s, a in probe.answers.items()
            },
        )


class ProbeBatchView(BaseModel):
    """The probes just requested."""

    probes: list[ProbeView]
