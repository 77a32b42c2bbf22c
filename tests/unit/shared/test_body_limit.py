"""Request bodies over the limit are refused before anything parses them, declared or streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import Body, FastAPI

from dimm.platform import build_platform, build_service
from shared.body_limit import BodyLimitMiddleware
from shared.problems import install_error_handlers
from shared.settings import DEFAULT_MAX_BODY_BYTES

LIMIT = 4096
CHUNK = 1024


class Chunks:
    """A streamed body without Content-Length that records how many chunks the server pulled."""

    def __init__(self, count: int, size: int = CHUNK) -> None:
        self.count, self.size, self.pulled = count, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            self.pulled += 1
            yield b"x" * self.size


def _recording_app(calls: list[Any]) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/echo")
    async def echo(document: dict[str, Any] = Body()) -> dict[str, int]:
        calls.append(document)
        return {"keys": len(document)}

    app.add_middleware(BodyLimitMiddleware, limit=LIMIT)
    return app


#: One route per service that takes a JSON body (no token sent: the 413 comes before the 401).
JSON_ROUTES = {
    "assessment": "/assessment/v1/accounts",
    "scoring": "/scoring/v1/diagnostics/x/simulations",
    "benchmark": "/benchmark/v1/studies",
    "watch": "/watch/v1/ops/notices",
}


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def _assert_413_problem(response: httpx.Response) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 413
    assert body["type"].endswith("/payload-too-large")


@pytest.mark.asyncio
class TestADeclaredLengthOverTheLimit:
    async def test_is_refused_at_once_without_the_handler(self) -> None:
        calls: list[Any] = []
        async with _client(_recording_app(calls)) as http:
            response = await http.post("/echo", content=b"{" + b" " * LIMIT + b"}")
        _assert_413_problem(response)
        assert calls == []


@pytest.mark.asyncio
class TestAStreamedBodyOverTheLimit:
    async def test_is_refused_and_the_server_stops_reading(self) -> None:
        calls: list[Any] = []
        body = Chunks(count=100)
        async with _client(_recording_app(calls)) as http:
            response = await http.post("/echo", content=body, headers={"content-type": "application/json"})
        _assert_413_problem(response)
        assert calls == [], "the handler ran"
        # The limit is 4 chunks: the 5th crosses it, and nothing after it is pulled.
        assert body.pulled == LIMIT // CHUNK + 1

    async def test_a_streamed_body_under_the_limit_reaches_the_handler(self) -> None:
        calls: list[Any] = []

        async def small() -> AsyncIterator[bytes]:
            yield b'{"a": 1,'
            yield b' "b": 2}'

        async with _client(_recording_app(calls)) as http:
            response = await http.post("/echo", content=small(), headers={"content-type": "application/json"})
        assert response.status_code == 200
        assert calls == [{"a": 1, "b": 2}]


@pytest.mark.asyncio
class TestABodyUnderTheLimit:
    async def test_is_parsed_as_usual(self) -> None:
        calls: list[Any] = []
        async with _client(_recording_app(calls)) as http:
            response = await http.post("/echo", json={"a": "x" * (LIMIT // 2)})
        assert response.status_code == 200
        assert len(calls) == 1

    async def test_bad_input_under_the_limit_is_still_a_422_problem(self) -> None:
        async with _client(_recording_app([])) as http:
            response = await http.post(
                "/echo", content=b"not json", headers={"content-type": "application/json"}
            )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


def test_the_default_leaves_room_for_a_model_document() -> None:
    # A whole shipped edition of the model, the largest body an operator sends, is ~400 kB.
    assert DEFAULT_MAX_BODY_BYTES == 5 * 1024 * 1024
    assert build_service("assessment", environment="development").state.runtime.settings.max_body_bytes == (
        DEFAULT_MAX_BODY_BYTES
    )


JSON = {"content-type": "application/json"}
SERVICE_NAMES = sorted(JSON_ROUTES)


@pytest.mark.asyncio
class TestEveryServiceAppHasTheLimit:
    @pytest.mark.parametrize("name", SERVICE_NAMES)
    async def test_a_large_unauthenticated_body_is_a_413_before_any_401(self, name: str) -> None:
        app = build_service(name, environment="development", max_body_bytes=LIMIT)
        body = Chunks(count=50)
        async with _client(app) as http:
            declared = await http.post(JSON_ROUTES[name], content=b"x" * (LIMIT + 1), headers=JSON)
            streamed = await http.post(JSON_ROUTES[name], content=body, headers=JSON)
        _assert_413_problem(declared)
        _assert_413_problem(streamed)
        assert body.pulled == LIMIT // CHUNK + 1

    async def test_the_oauth_token_form_is_limited_too(self) -> None:
        app = build_service("assessment", environment="development", max_body_bytes=LIMIT)
        body = Chunks(count=50)
        form = {"content-type": "application/x-www-form-urlencoded"}
        async with _client(app) as http:
            response = await http.post("/assessment/v1/oauth/token", content=body, headers=form)
        _assert_413_problem(response)
        assert body.pulled == LIMIT // CHUNK + 1

    async def test_dimm_up_s_one_port_refuses_it_through_every_service(self) -> None:
        platform = build_platform(environment="development", max_body_bytes=LIMIT)
        async with _client(platform) as http:
            for path in JSON_ROUTES.values():
                body = Chunks(count=50)
                _assert_413_problem(await http.post(path, content=body, headers=JSON))
                assert body.pulled == LIMIT // CHUNK + 1
