"""The body limit on the real stack: a whole model edition passes, a larger body stores nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest

from shared.model.editions import _BUILDERS
from shared.settings import DEFAULT_MAX_BODY_BYTES
from tests.integration.conftest import AUTH

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


def _edition(model_id: str, *, padding: int = 0) -> dict[str, object]:
    document = {**_BUILDERS["2.0.0"](), "model_id": model_id}
    if padding:
        document["description"] = "x" * padding
    return document


class TestTheLargestLegitimateBody:
    async def test_a_whole_model_edition_is_published(self, http: httpx.AsyncClient) -> None:
        model_id = f"full-{uuid.uuid4().hex[:8]}"
        document = _edition(model_id)
        response = await http.put(
            f"/assessment/v1/models/{model_id}/versions/2.0.0", json=document, headers=AUTH
        )
        assert response.status_code == 201, response.text


class TestABodyOverTheLimit:
    async def test_is_a_413_problem_and_nothing_is_stored(self, http: httpx.AsyncClient) -> None:
        model_id = f"huge-{uuid.uuid4().hex[:8]}"
        document = _edition(model_id, padding=DEFAULT_MAX_BODY_BYTES)
        response = await http.put(
            f"/assessment/v1/models/{model_id}/versions/2.0.0", json=document, headers=AUTH
        )
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 413
        assert (await http.get(f"/assessment/v1/models/{model_id}")).status_code == 404

    async def test_without_a_token_it_is_still_refused_before_the_401(self, http: httpx.AsyncClient) -> None:
        body = b"{" + b" " * (DEFAULT_MAX_BODY_BYTES + 1) + b"}"
        response = await http.post(
            "/assessment/v1/accounts", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
