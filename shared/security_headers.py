"""Headers every response carries, and the stricter ones of the HTML pages (pure ASGI middleware).

Every response: `X-Content-Type-Options: nosniff`. An HTML response (a report, a study, the watch
page: personal or confidential data) also gets a Content-Security-Policy that allows nothing but
the page's own inline styles, `Referrer-Policy: no-referrer` (its URL may carry an access token)
and `Cache-Control: no-store`. Swagger UI (`…/docs`) loads its script from a CDN: it keeps no CSP
until the docs are served offline.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The pages use inline <style> and style attributes, inline <svg>, links and no script or form.
HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
HTML_HEADERS = {
    "Content-Security-Policy": HTML_CSP,
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def add_security_headers(headers: MutableHeaders, *, html_policy: bool) -> None:
    """Set nosniff, and the HTML page headers when asked for an HTML response."""
    headers["X-Content-Type-Options"] = "nosniff"
    if html_policy and headers.get("content-type", "").startswith("text/html"):
        for name, value in HTML_HEADERS.items():
            headers[name] = value


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response of the app."""

    def __init__(self, app: ASGIApp, *, exempt_prefixes: Iterable[str] = ()) -> None:
        self.app = app
        self.exempt = tuple(exempt_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        html_policy = not str(scope.get("path", "")).startswith(self.exempt) if self.exempt else True

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), html_policy=html_policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)
