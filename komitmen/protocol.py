"""HTTP/1.1 for `komitmen api` with a deadline on request headers (against slow clients).

Uvicorn closes a connection idle between requests after its keep-alive timeout, but
has no deadline for the headers of a request: a client that opens a connection and
sends a few bytes of headers, or one byte now and then, holds the connection open
for as long as it likes, and enough of them use up the server's connections. This
protocol, uvicorn's httptools one, closes a connection whose request headers are not
complete within `header_timeout` seconds: the clock starts when the connection is
made and again when a new request begins (its first bytes after the previous
response), and stops once the request's headers have been read whole. A request
body and the app's own work are not timed by it.

Built on httptools (llhttp, in C) rather than h11 (pure Python): parsing a request and
writing its response cost the API about a tenth of its CPU per request with h11
(`bench.api_load`, issue 17).
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """Uvicorn's httptools protocol, closing connections whose request headers come too slowly."""

    header_timeout: float = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock: the first request's headers are due within the timeout."""
        super().connection_made(transport)
        self._arm_header_timer()

    def on_message_begin(self) -> None:
        """A request's first bytes arrived (pipelined, or after the previous response): its
        headers are due within the timeout. Between requests the keep-alive timeout rules."""
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        """The request's headers are whole: stop the clock."""
        self._cancel_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock with the connection."""
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        self.logger.info("closing a connection whose request headers did not arrive in time")
        self.transport.close()


def with_header_timeout(seconds: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class for uvicorn's `http` setting, with this header deadline."""

    class TimedHeaders(HeaderTimeoutProtocol):
        header_timeout = seconds

    return TimedHeaders
