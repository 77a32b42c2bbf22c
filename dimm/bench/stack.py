"""Where a benchmark runs: the configured Kafka and MongoDB, or an embedded stack of its own."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dimm.embedded import EmbeddedStack, free_port


@dataclass(frozen=True)
class BenchTarget:
    """The broker and database a benchmark measures."""

    kafka_bootstrap_servers: str
    mongodb_url: str
    description: str


@contextlib.contextmanager
def bench_target() -> Iterator[BenchTarget]:
    """Use KAFKA_BOOTSTRAP_SERVERS / MONGODB_URL when set, else start Tansu and SecantusDB on disk."""
    kafka, mongo = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("MONGODB_URL")
    with tempfile.TemporaryDirectory(prefix="dimm-bench-") as tmp:
        stack = EmbeddedStack(data_dir=Path(tmp), kafka_port=free_port(), mongo_port=free_port())
        try:
            kafka = kafka or stack.start_kafka()
            mongo = mongo or stack.start_mongo()
            kinds = [name for name in ("tansu", "secantus") if name in stack.processes]
            where = f"embedded {' + '.join(kinds)}" if kinds else "configured servers"
            yield BenchTarget(kafka, mongo, where)
        finally:
            stack.stop()
