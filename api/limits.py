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

UPLOAD_PATHS = (
    "/sign/wet",
    "/page/sign-wet",
    "/evidence",
    "/page/evidence",
    "/page/submit_report",
    "/remove",
)
"""Routes that take a signed scan or an evidence file (the report form and its "Remove"
buttons carry the files chosen in it): their bodies may be as large as the larger of
the two is allowed."""


def takes_upload(path: str) -> bool:
    """Whether a route takes a scan, an evidence file or a file to check (`/verify/{code}/file`)."""
    return path.endswith(UPLOAD_PATHS) or (path.startswith("/verify/") and path.endswith("/file"))


# A multipart body carries the scan and a few small fields besides.
_MULTIPART_OVERHEAD = 64 * 1024


class BodyLimit:
    """ASGI middleware refusing request bodies over `max_bytes` with 413 problem details.

    Uploads of a signed scan (UPLOAD_PATHS) may reach `upload_max_bytes` instead; the
    route then says precisely how large the scan may be.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int = 0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = max(max_bytes, upload_max_bytes + _MULTIPART_OVERHEAD)

    def _detail(self, limit: int) -> str:
        return f"the request body is larger than {limit} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = takes_upload(str(scope.get("path", "")))
        limit = self.upload_max_bytes if upload else self.max_bytes
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await problem(Request(scope), 413, self._detail(limit))(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                # Raised inside the route, so the app's error map answers it.
                raise HTTPException(413, self._detail(limit))
            return message

        await self.app(scope, counted, send)
