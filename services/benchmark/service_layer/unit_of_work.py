"""The unit of work of the benchmark use cases: its repositories, committed with their events."""

from __future__ import annotations

from shared.probe import ProbeAnswers
from shared.replicas import RevokedKeys
from shared.unit_of_work import UnitOfWork


class BenchmarkUnitOfWork(UnitOfWork):
    """The benchmark repositories, committed with the events the changes caused."""

    probe_answers: ProbeAnswers
    revoked_keys: RevokedKeys
