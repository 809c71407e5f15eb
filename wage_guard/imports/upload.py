"""Refuse an upload over the configured size before its body is read (FORMATS.md, "Limits").

A declared ``Content-Length`` over the limit is answered 413 at once; a body without one
(chunked) is counted as it arrives and refused as soon as it passes the limit, so that no
oversized body is ever spooled to disk.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    """The body being received has passed the limit."""


def _too_large_body(limit: int) -> bytes:
    message = f"the upload is larger than the limit of {limit / 1024 / 1024:g} MB"
    return json.dumps(
        {"error": {"code": "too_large", "message": message, "details": {"limit_bytes": limit}}}
    ).encode()


class UploadLimitMiddleware:
    """413 for a request to ``prefix`` whose body is over ``limit`` bytes."""

    def __init__(self, app: ASGIApp, *, limit: int, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.limit = limit
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        received = 0
        exceeded = False
        refused = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def answer(message: Message) -> None:
            # Whatever the app makes of a body cut short (a parse error), the answer is 413.
            nonlocal refused
            if not exceeded:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(send)

        try:
            await self.app(scope, counted, answer)
        except BodyTooLarge:
            if not refused:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = _too_large_body(self.limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
