"""A ceiling on request bodies: a larger one is answered 413 before it is read whole.

The limit holds whether the client declares a Content-Length or streams a chunked body:
the declared length is refused at once, and a streamed body is counted as it arrives.
Starlette's own limiter answers in plain text; this one answers in problem details.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem


class BodyLimit:
    """ASGI middleware refusing request bodies over `max_bytes` with 413 problem details."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _detail(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await problem(Request(scope), 413, self._detail())(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # Raised inside the route, so the app's error map answers it.
                raise HTTPException(413, self._detail())
            return message

        await self.app(scope, counted, send)
