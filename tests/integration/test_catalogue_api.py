"""The model catalogue API on the real broker and database."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from shared.events.contracts import build_registry
from shared.events.contracts.catalogue import ModelPublished
from shared.events.envelope import decode
from shared.messaging.topics import events_topic
from shared.model.editions import shipped_edition
from shared.model.validation import parse_model
from tests.integration.conftest import AUTH, records_with_subject
from tests.stack import Backend
from tests.unit.model.builders import edited, model

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

BASE = "/assessment/v1/models"


def _new_model() -> dict[str, Any]:
    return model(model_id=f"grid-{uuid.uuid4().hex[:8]}")


async def _publish(http: httpx.AsyncClient, document: dict[str, Any]) -> httpx.Response:
    url = f"{BASE}/{document['model_id']}/versions/{document['version']}"
    return await http.put(url, json=document, headers=AUTH)


class TestBrowsing:
    async def test_the_shipped_editions_are_loaded_at_start(self, http: httpx.AsyncClient) -> None:
        listing = (await http.get(f"{BASE}/dimm")).json()
        assert [v["version"] for v in listing["versions"]] == ["1.0.0", "2.0.0"]
        assert listing["latest"] == "2.0.0"
        assert listing["versions"][1]["content_hash"] == shipped_edition("2.0.0").content_hash

    async def test_a_full_version_has_every_indicator(self, http: httpx.AsyncClient) -> None:
        body = (await http.get(f"{BASE}/dimm/versions/latest")).json()
        assert body["version"]["version"] == "2.0.0"
        assert body["version"]["indicator_count"] == 115
        assert parse_model(body["model"]).content_hash == shipped_edition("2.0.0").content_hash

    async def test_one_indicator_with_its_lever_and_groupement(self, http: httpx.AsyncClient) -> None:
        body = (await http.get(f"{BASE}/dimm/versions/2.0.0/indicators/TIA5")).json()
        assert body["indicator"]["name"] == "Données dans le cloud"
        assert body["lever"]["code"] == "TI"
        assert body["groupement"]["code"] == "TIA"
        assert [lvl["level"] for lvl in body["indicator"]["levels"]] == [1, 2, 3, 4, 5]

    async def test_a_profile_lists_its_indicators(self, http: httpx.AsyncClient) -> None:
        body = (await http.get(f"{BASE}/dimm/versions/1.0.0/profiles/pme-10-priorites")).json()
        assert [i["code"] for i in body["indicators"]] == list(body["profile"]["indicators"])
        assert len(body["indicators"]) == 10

    async def test_the_diff_of_two_versions(self, http: httpx.AsyncClient) -> None:
        body = (await http.get(f"{BASE}/dimm/diff", params={"from": "1.0.0", "to": "2.0.0"})).json()
        assert body["indicators_touched"] == ["EE2", "EL4", "ER3", "OFE3", "TIO1", "TIO2", "TIO4"]
        assert body["counts"]["indicator_added"] == 2

    @pytest.mark.parametrize(
        "path",
        [
            "/nope",
            "/dimm/versions/9.9.9",
            "/dimm/versions/2.0.0/indicators/ZZ1",
            "/dimm/versions/2.0.0/profiles/none",
            "/dimm/diff?from=0.1.0&to=2.0.0",
        ],
    )
    async def test_what_does_not_exist_is_a_404_problem(self, http: httpx.AsyncClient, path: str) -> None:
        response = await http.get(BASE + path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


class TestPublishing:
    async def test_a_new_version_is_created_and_its_event_carries_the_document(
        self, http: httpx.AsyncClient, backend: Backend
    ) -> None:
        document = _new_model()
        response = await _publish(http, document)
        assert response.status_code == 201
        assert response.json()["indicator_count"] == 3

        [record] = await records_with_subject(backend, events_topic("assessment"), document["model_id"])
        payload = build_registry().payload(decode(record.headers, record.value))
        assert isinstance(payload, ModelPublished)
        assert payload.version == "1.0.0"
        assert (
            parse_model(payload.document).content_hash
            == payload.content_hash
            == response.json()["content_hash"]
        )

    async def test_the_shipped_editions_were_published_as_events(self, backend: Backend) -> None:
        records = await records_with_subject(backend, events_topic("assessment"), "dimm", expected=2)
        registry = build_registry()
        hashes = {registry.payload(decode(r.headers, r.value)).content_hash for r in records}  # type: ignore[attr-defined]
        assert hashes == {shipped_edition("1.0.0").content_hash, shipped_edition("2.0.0").content_hash}

    async def test_an_identical_republish_is_idempotent(self, http: httpx.AsyncClient) -> None:
        document = _new_model()
        first = await _publish(http, document)
        again = await _publish(http, document)
        assert again.status_code == 200
        assert again.json() == first.json()

    async def test_other_content_under_an_existing_version_is_a_409(self, http: httpx.AsyncClient) -> None:
        document = _new_model()
        await _publish(http, document)
        changed = edited(document)
        changed["title"] = "Autre titre"
        response = await _publish(http, changed)
        assert response.status_code == 409
        assert "immutable" in response.json()["detail"]

    async def test_an_invalid_model_is_a_422_listing_every_problem(self, http: httpx.AsyncClient) -> None:
        document = _new_model()
        document["levers"][0]["groupements"][0]["indicators"][0]["coefficient"] = 9
        document["profiles"][0]["indicators"].append("ZZ9")
        response = await _publish(http, document)
        assert response.status_code == 422
        errors = response.json()["errors"]
        assert {e["path"] for e in errors} == {
            "levers[0].groupements[0].indicators[0].coefficient",
            "profiles[0].indicators",
        }
        assert (await http.get(f"{BASE}/{document['model_id']}")).status_code == 404

    async def test_a_document_for_another_url_is_a_422(self, http: httpx.AsyncClient) -> None:
        document = _new_model()
        response = await http.put(
            f"{BASE}/{document['model_id']}/versions/2.0.0", json=document, headers=AUTH
        )
        assert response.status_code == 422

    async def test_publishing_needs_the_operator(self, http: httpx.AsyncClient) -> None:
        document = _new_model()
        url = f"{BASE}/{document['model_id']}/versions/1.0.0"
        assert (await http.put(url, json=document)).status_code == 401
