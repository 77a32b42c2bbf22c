"""Fixtures shared by the whole suite: the real broker and database, on two backends."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests.stack import Backend, embedded_backend


def docker_answers() -> bool:
    """Tell whether a Docker daemon answers (the CLI alone is not enough)."""
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def docker_backend() -> Iterator[Backend]:
    """Run Apache Kafka (KRaft) and a one-node MongoDB replica set with testcontainers."""
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.mongodb import MongoDBAtlasLocalContainer

    with (
        KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft() as kafka,
        MongoDBAtlasLocalContainer("mongodb/mongodb-atlas-local:8.0") as mongo,
    ):
        yield Backend("docker", kafka.get_bootstrap_server(), mongo.get_connection_url())


@pytest.fixture(
    scope="session",
    params=["embedded", pytest.param("docker", marks=pytest.mark.docker)],
)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Yield a running broker and database: Tansu + SecantusDB, or Kafka + MongoDB in Docker."""
    if request.param == "docker":
        if not docker_answers():
            pytest.skip("no Docker daemon answers: the testcontainers tier is skipped")
        stack = docker_backend()
    else:
        stack = embedded_backend()
    with stack as running:
        yield running
