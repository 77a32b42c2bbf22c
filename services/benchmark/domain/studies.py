"""National sector studies: organisations of a sector enrol, the study closes, its results are published."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from shared.aggregate import Aggregate
from shared.errors import Conflict, InvalidInput, NotFound

StudyStatus = Literal["draft", "open", "closed", "published"]


@dataclass(frozen=True)
class Enrolment:
    """An organisation's consent to take part: who gave it and when (withdrawable until the close)."""

    organisation_id: str
    account_id: str
    consented_by: str
    enrolled_at: datetime


@dataclass
class Study(Aggregate):
    """A national study of one sector on one model version, open between two dates."""

    study_id: str
    title: str
    sector: str
    model_id: str
    model_version: str
    opens_at: datetime
    closes_at: datetime
    min_participants: int
    status: StudyStatus = "draft"
    created_at: datetime | None = None
    enrolments: dict[str, Enrolment] = field(default_factory=dict)
    status_at: dict[str, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = []
        if self.closes_at <= self.opens_at:
            problems.append({"path": "closes_at", "message": "the study must close after it opens"})
        if self.min_participants < 1:
            problems.append({"path": "min_participants", "message": "at least one participant"})
        if problems:
            raise InvalidInput("The study is not valid.", errors=problems)

    def open(self, *, at: datetime) -> None:
        """Let organisations of the sector enrol."""
        self._expect("draft", "open")
        self._move("open", at)

    def enrol(self, enrolment: Enrolment, *, sector: str) -> None:
        """Record an organisation's consent; only an organisation of the study's sector, while open."""
        self._expect("open", "enrol in")
        if sector != self.sector:
            raise Conflict(
                f"The study is for the sector {self.sector!r}; this organisation is in {sector!r}."
            )
        self.enrolments.setdefault(enrolment.organisation_id, enrolment)

    def withdraw(self, organisation_id: str) -> None:
        """Take an organisation's consent back, until the study closes."""
        if self.status not in ("draft", "open"):
            raise Conflict(f"The study is {self.status}: participation can no longer be withdrawn.")
        if self.enrolments.pop(organisation_id, None) is None:
            raise NotFound(f"The organisation {organisation_id!r} is not enrolled.")

    def close(self, *, at: datetime) -> None:
        """End the enrolment and the period in which diagnostics count."""
        self._expect("open", "close")
        self._move("closed", at)

    def due(self, now: datetime) -> bool:
        """Tell whether the schedule should close it."""
        return self.status == "open" and now >= self.closes_at

    @property
    def period_end(self) -> datetime:
        """Return when diagnostics stop counting: the closing date, or the day it was closed sooner."""
        return min(self.closes_at, self.status_at.get("closed", self.closes_at))

    def counts(self, scored_at: datetime) -> bool:
        """Tell whether a diagnostic scored at this time falls within the study's period."""
        return self.opens_at <= scored_at <= self.period_end

    def ready_to_publish(self, participants: int, *, min_cohort_size: int) -> None:
        """Refuse to publish before the close or with too few participants to show anything."""
        self._expect("closed", "publish")
        needed = max(self.min_participants, min_cohort_size)
        if participants < needed:
            raise Conflict(
                f"{participants} participant(s) with a diagnostic in the period; {needed} are needed."
            )

    def published(self, *, at: datetime) -> None:
        """Mark the results published (the use case records the event with them)."""
        self._move("published", at)

    def _expect(self, status: StudyStatus, action: str) -> None:
        if self.status != status:
            raise Conflict(f"The study is {self.status}: it cannot {action} (it must be {status}).")

    def _move(self, status: StudyStatus, at: datetime) -> None:
        self.status = status
        self.status_at = {**self.status_at, status: at}
