"""Headers every response carries, and the stricter ones of the HTML pages (pure ASGI middleware).

Every response: `X-Content-Type-Options: nosniff`. An HTML response (a report, a study, the watch
page: personal or confidential data) also gets a Content-Security-Policy that allows nothing but
the page's own inline styles, `Referrer-Policy: no-referrer` (its URL may carry an access token)
and `Cache-Control: no-store`. The API documentation pages (Swagger UI, ReDoc: scripts served by
the service itself) get their own policy instead, `DOCS_CSP`, named by path prefix.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The pages use inline <style> and style attributes, inline <svg>, links and no script or form.
HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
#: Swagger UI and ReDoc from the service's own files (shared.docs): scripts and styles from the
#: service, inline styles (both inject some), icons as data: URIs, calls to the service only ("Try it
#: out", the token endpoint), and ReDoc's search worker, which it starts from a blob.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; worker-src blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
HTML_HEADERS = {
    "Content-Security-Policy": HTML_CSP,
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def add_security_headers(headers: MutableHeaders, *, html_policy: bool, csp: str = HTML_CSP) -> None:
    """Set nosniff, and the HTML page headers (with this CSP) when asked for an HTML response."""
    headers["X-Content-Type-Options"] = "nosniff"
    if html_policy and headers.get("content-type", "").startswith("text/html"):
        for name, value in HTML_HEADERS.items():
            headers[name] = value
        headers["Content-Security-Policy"] = csp


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response of the app (`page_policies`: CSP by prefix)."""

    def __init__(self, app: ASGIApp, *, page_policies: Mapping[str, str] | None = None) -> None:
        self.app = app
        self.policies = tuple((page_policies or {}).items())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        csp = next((policy for prefix, policy in self.policies if path.startswith(prefix)), HTML_CSP)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), html_policy=True, csp=csp)
            await send(message)

        await self.app(scope, receive, send_with_headers)
