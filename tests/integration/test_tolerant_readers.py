"""Each service's consumer, on the real database: events a newer producer extended are processed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from fastapi import FastAPI

from services.assessment.app import create_app as assessment_app
from services.assessment.settings import AssessmentSettings
from services.benchmark.app import create_app as benchmark_app
from services.benchmark.settings import BenchmarkSettings
from services.scoring.app import create_app as scoring_app
from services.scoring.settings import ScoringSettings
from services.watch.app import create_app as watch_app
from services.watch.settings import WatchSettings
from shared.runtime import ServiceRuntime
from tests.contracts import examples, with_additions
from tests.integration.conftest import PRIVATE_KEY, TOKEN
from tests.stack import Backend
from tests.wire import Record

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

SERVICES: dict[str, Callable[[dict[str, Any]], FastAPI]] = {
    "assessment": lambda s: assessment_app(
        AssessmentSettings(**s, admin_token=TOKEN, jwt_private_key=PRIVATE_KEY)
    ),
    "scoring": lambda s: scoring_app(ScoringSettings(**s)),
    "benchmark": lambda s: benchmark_app(BenchmarkSettings(**s)),
    "watch": lambda s: watch_app(WatchSettings(**s)),
}


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=sorted(SERVICES))
async def runtime(request: pytest.FixtureRequest, backend: Backend) -> AsyncIterator[ServiceRuntime[Any]]:
    settings = {
        "environment": "test",
        "kafka_bootstrap_servers": backend.kafka_bootstrap_servers,
        "mongodb_url": backend.mongodb_url,
        "mongodb_database": f"readers_{request.param}_{uuid.uuid4().hex[:8]}",
    }
    app = SERVICES[request.param](settings)
    async with app.router.lifespan_context(app):
        yield app.state.runtime


def _outcome(runtime: ServiceRuntime[Any], outcome: str) -> float:
    return runtime.metrics.consumed.labels(outcome)._value.get()  # type: ignore[attr-defined,no-any-return]


class TestTolerantReaders:
    async def test_every_consumed_event_type_extended_by_a_newer_producer_is_processed(
        self, runtime: ServiceRuntime[Any]
    ) -> None:
        subscription = runtime.subscription
        assert subscription is not None
        consumed = [e for e in examples() if subscription.route(type(e).event_type) is not None]
        assert {type(e).event_type for e in consumed} == set(subscription.event_types)
        keys = []
        for offset, event in enumerate(consumed):
            headers, value = with_additions(event)
            attributes = dict(headers)
            keys.append(f"{attributes['ce_source'].decode()}#{attributes['ce_id'].decode()}")
            # Straight into the service's consumer: the same code a Kafka batch goes through.
            record = Record(subscription.topics[0], 0, offset, b"org-1", value, headers)
            await runtime.consumer.process([record])
        assert _outcome(runtime, "invalid") == 0
        assert _outcome(runtime, "dead_lettered") == 0
        handled = await runtime.db["processed_events"].count_documents({"_id": {"$in": keys}})
        assert handled == len(consumed)
