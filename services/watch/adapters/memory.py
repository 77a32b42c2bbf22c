"""In-memory fakes of the watch repositories and unit of work, for unit tests of use cases."""

from __future__ import annotations

from services.watch.service_layer.unit_of_work import WatchUnitOfWork
from shared.adapters.probes import MemoryProbeAnswers
from shared.adapters.replicas import MemoryRevokedKeys
from shared.unit_of_work import MemoryUnitOfWork


class MemoryWatchUnitOfWork(MemoryUnitOfWork, WatchUnitOfWork):
    """The watch repositories in memory; committed events are kept in `events`."""

    def __init__(self) -> None:
        super().__init__()
        self.probe_answers = MemoryProbeAnswers()
        self.revoked_keys = MemoryRevokedKeys()
