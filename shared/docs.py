"""Swagger UI and ReDoc pages served from local files, so the API documentation works offline.

The files come from the pinned `fastapi-offline` wheel (1.7.7: Swagger UI 5.32.6, ReDoc 2.5.3),
installed with the other locked dependencies: no CDN, no web font, no validator badge. The pages
carry no inline script (Swagger UI starts from a script of its own that reads its settings from
the page), so their Content-Security-Policy (`DOCS_CSP`) lets scripts come from the service only.
"""

from __future__ import annotations

from html import escape
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

ASSETS = Path(str(files("fastapi_offline") / "static"))

#: Swagger UI starts from this file, not from an inline script the page's CSP would refuse.
SWAGGER_INIT = """\
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    displayOperationId: true,
    validatorUrl: null,
  });
})();
"""


def _page(title: str, head: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n{head}</head>\n<body>\n{body}</body>\n</html>\n"
    )


def install_docs(app: FastAPI, *, prefix: str, openapi_url: str) -> None:
    """Serve Swagger UI at `{prefix}/docs` and ReDoc at `{prefix}/redoc`, their files under `/docs/static`."""
    static = f"{prefix}/docs/static"
    swagger = _page(
        f"{app.title} – Swagger UI",
        f'<link rel="stylesheet" href="{static}/swagger-ui.css">\n'
        f'<link rel="icon" type="image/png" href="{static}/favicon.png">\n',
        f'<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>\n'
        f'<script src="{static}/swagger-ui-bundle.js"></script>\n'
        f'<script src="{prefix}/docs/swagger-init.js"></script>\n',
    )
    redoc = _page(
        f"{app.title} – ReDoc",
        f'<link rel="icon" type="image/png" href="{static}/favicon.png">\n',
        f'<redoc spec-url="{escape(openapi_url)}"></redoc>\n'
        f'<script src="{static}/redoc.standalone.js"></script>\n',
    )
    router = APIRouter(include_in_schema=False)

    @router.get(f"{prefix}/docs")
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger)

    @router.get(f"{prefix}/docs/swagger-init.js")
    async def swagger_init() -> Response:
        return Response(SWAGGER_INIT, media_type="text/javascript")

    @router.get(f"{prefix}/redoc")
    async def redoc_page() -> HTMLResponse:
        return HTMLResponse(redoc)

    app.include_router(router)
    app.mount(static, StaticFiles(directory=ASSETS), name="docs-static")
