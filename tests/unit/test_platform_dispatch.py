"""The one-port platform: each prefix reaches its own service."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from dimm.platform import SERVICES, PrefixDispatcher, build_service


def _echo_app(name: str) -> FastAPI:
    app = FastAPI()

    @app.get(f"/{name}/whoami")
    async def whoami() -> dict[str, str]:
        return {"service": name}

    return app


@pytest.fixture
def dispatcher() -> PrefixDispatcher:
    return PrefixDispatcher({name: _echo_app(name) for name in ("assessment", "scoring")})


@pytest.mark.asyncio
class TestPrefixDispatcher:
    @pytest.mark.parametrize("name", ["assessment", "scoring"])
    async def test_a_prefix_reaches_its_service(self, dispatcher: PrefixDispatcher, name: str) -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=dispatcher), base_url="http://t"
        ) as http:
            assert (await http.get(f"/{name}/whoami")).json() == {"service": name}

    async def test_an_unknown_prefix_is_a_404_problem(self, dispatcher: PrefixDispatcher) -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=dispatcher), base_url="http://t"
        ) as http:
            response = await http.get("/nowhere/x")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert "/assessment" in response.json()["detail"]


class TestServiceApps:
    @pytest.mark.parametrize("name", sorted(SERVICES))
    def test_every_route_of_a_service_is_under_its_prefix(self, name: str) -> None:
        app = build_service(name, environment="development")
        paths = [route.path for route in app.routes if hasattr(route, "path")]
        assert paths
        assert all(path.startswith(f"/{name}/") for path in paths), paths
