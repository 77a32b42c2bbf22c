"""In-memory fakes of the benchmark repositories and unit of work, for unit tests of use cases."""

from __future__ import annotations

from services.benchmark.service_layer.unit_of_work import BenchmarkUnitOfWork
from shared.adapters.probes import MemoryProbeAnswers
from shared.adapters.replicas import MemoryRevokedKeys
from shared.unit_of_work import MemoryUnitOfWork


class MemoryBenchmarkUnitOfWork(MemoryUnitOfWork, BenchmarkUnitOfWork):
    """The benchmark repositories in memory; committed events are kept in `events`."""

    def __init__(self) -> None:
        super().__init__()
        self.probe_answers = MemoryProbeAnswers()
        self.revoked_keys = MemoryRevokedKeys()
