"""Refuse a request body over a size limit before anything parses it (pure ASGI middleware).

A declared `Content-Length` over the limit is answered 413 at once, without reading the body.
Otherwise the bytes are counted as `receive()` yields them: the message that crosses the limit is
never handed to the app, which sees the request fail instead, and the client gets a 413 problem.
At most `limit` bytes of a body are ever held by the app.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import PROBLEM_MEDIA_TYPE, problem
from shared.settings import DEFAULT_MAX_BODY_BYTES


class BodyTooLarge(Exception):
    """Raised from `receive()` when a streamed body crosses the limit."""


def too_large_body(limit: int, path: str) -> bytes:
    """Return the 413 problem document, encoded."""
    return json.dumps(
        problem(
            status=413,
            title="Payload too large",
            detail=f"The request body is larger than the {limit} bytes this service accepts.",
            type_slug="payload-too-large",
            instance=path,
        )
    ).encode()


async def send_too_large(send: Send, *, limit: int, path: str) -> None:
    """Answer 413 with a problem body, and close the connection (the rest of the body is unread)."""
    payload = too_large_body(limit, path)
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    """Answer 413 to any HTTP request whose body is, or turns out to be, over `limit` bytes."""

    def __init__(self, app: ASGIApp, *, limit: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        declared = _declared_length(scope)
        if declared is not None and declared > self.limit:
            await send_too_large(send, limit=self.limit, path=path)
            return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                # Whatever the app answers to a failed read (FastAPI: a 400), the caller gets the 413.
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await send_too_large(send, limit=self.limit, path=path)
