"""Every service's /metrics as Prometheus scrapes it: lint-clean, HTTP counts at 0, no `_created`.

The apps are built without starting (no broker, no database): what a scrape shows before the first
request. tests/integration/test_metrics_exposition.py scrapes the same services running.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dimm.platform import SERVICES, build_service
from shared.http_metrics import STATUS_CLASSES
from tests.metrics_exposition import PROCESS_AND_PLATFORM, created_series, promtool_check, sample_names

SERVICE_NAMES = sorted(SERVICES)


@cache
def _app_and_text(name: str) -> tuple[dict[str, Any], str]:
    """The service's OpenAPI document and one scrape of its /metrics."""
    app = build_service(name, environment="development")

    async def scrape() -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get(f"/{name}/metrics")
        assert response.status_code == 200
        return response.text

    return app.openapi(), asyncio.run(scrape())


def _requests_counted(text: str) -> dict[tuple[str, str, str], float]:
    return {
        (sample.labels["method"], sample.labels["route"], sample.labels["status_class"]): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "dimm_http_requests_total"
    }


@pytest.mark.parametrize("name", SERVICE_NAMES)
class TestTheScrapeOfEachService:
    def test_promtool_finds_nothing_to_say(self, name: str) -> None:
        promtool_check(_app_and_text(name)[1])

    def test_no_created_series(self, name: str) -> None:
        assert created_series(_app_and_text(name)[1]) == []

    def test_process_and_platform_collectors_are_there(self, name: str) -> None:
        assert sample_names(_app_and_text(name)[1]) >= PROCESS_AND_PLATFORM

    def test_every_operation_is_counted_at_zero_for_each_status_class(self, name: str) -> None:
        openapi, text = _app_and_text(name)
        counted = _requests_counted(text)
        operations = [(method.upper(), path) for path, item in openapi["paths"].items() for method in item]
        assert operations
        for method, path in operations:
            for cls in STATUS_CLASSES:
                assert counted.get((method, path, cls)) == 0, (method, path, cls)
