"""Security headers on every response: pages, documents, exports and the JSON API.

- `Content-Security-Policy`: nothing but the app's own stylesheets, images of its own
  or `data:`, forms posting back to it; no scripts at all, no framing, no `<base>`.
  The pages, documents and the manager's SVG chart need nothing more: every style
  lives in `templates/static/`, none inline.
- `X-Content-Type-Options: nosniff` and `Referrer-Policy: same-origin`.
- `Strict-Transport-Security` only on a request that came over HTTPS (the scheme
  uvicorn reports, which behind a trusted proxy is its `X-Forwarded-Proto`): sent
  over plain HTTP it would mean nothing, and on a loopback development run it would
  pin a browser to HTTPS for a year.
- `Cache-Control: no-store` on every answer to a signed-in request (a bearer token
  or a page session cookie) and on every answer that sets a cookie: what one person
  sees must not stay in a shared cache or the browser's history cache.

The interactive API documentation (`/docs`, Swagger UI, and `/redoc`) is FastAPI's
own page, which runs an inline script and loads Swagger UI or ReDoc from a CDN
(cdn.jsdelivr.net, fonts from Google). The choice: those pages get a relaxed policy
of their own, `DOCS_POLICY`, which allows exactly those origins, inline script and
style, and still forbids framing, `<base>` and posting forms elsewhere; every other
path, `/openapi.json` included, gets the strict `POLICY`.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.pages.base import SESSION_COOKIE

POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
CDN = "https://cdn.jsdelivr.net"
DOCS_POLICY = (
    f"default-src 'none'; script-src 'self' 'unsafe-inline' {CDN}; "
    f"style-src 'self' 'unsafe-inline' {CDN} https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; worker-src blob:; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
HSTS = "max-age=31536000"


def signed_in(headers: Headers) -> bool:
    """Whether a request carries a bearer token or a page session cookie."""
    if headers.get("authorization", "").lower().startswith("bearer "):
        return True
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(headers.get("cookie", ""))
    except CookieError:  # unreadable as a whole: look for the name
        return SESSION_COOKIE in headers.get("cookie", "")
    return SESSION_COOKIE in cookies


class SecurityHeaders:
    """ASGI middleware adding the security headers above to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        docs = any(path == p or path.startswith(p + "/") for p in DOCS_PATHS)
        https = scope.get("scheme") == "https"
        private = signed_in(Headers(scope=scope))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = DOCS_POLICY if docs else POLICY
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                if https:
                    headers["Strict-Transport-Security"] = HSTS
                # Stylesheets hold nothing private: their own caching stands.
                if (private or "set-cookie" in headers) and not path.startswith("/static/"):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
