"""HTTP/1.1 for `komitmen api` with a deadline on request headers (against slow clients).

Uvicorn closes a connection idle between requests after its keep-alive timeout, but
has no deadline for the headers of a request: a client that opens a connection and
sends a few bytes of headers, or one byte now and then, holds the connection open
for as long as it likes, and enough of them use up the server's connections. This
protocol, uvicorn's h11 one, closes a connection whose request headers are not
complete within `header_timeout` seconds: the clock starts when the connection is
made and again when a new request begins (its first bytes after the previous
response), and stops once the request's headers have been read whole. A request
body and the app's own work are not timed by it.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class HeaderTimeoutProtocol(H11Protocol):
    """Uvicorn's h11 protocol, closing connections whose request headers come too slowly."""

    header_timeout: float = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock: the first request's headers are due within the timeout."""
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        """Feed the bytes to h11; stop the clock once a request's headers are whole."""
        super().data_received(data)
        self._follow_request_state()

    def on_response_complete(self) -> None:
        """A response went out: a request begun behind it (pipelined) is timed afresh."""
        super().on_response_complete()
        self._follow_request_state()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock with the connection."""
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _follow_request_state(self) -> None:
        waiting = self.conn.their_state is h11.IDLE and bool(self.conn.trailing_data[0])
        if waiting and not self.transport.is_closing():
            # Bytes of a request whose headers are not complete yet: the clock runs.
            self._arm_header_timer()
        else:
            # Headers whole (the request is being read or answered), or between
            # requests, where the keep-alive timeout is in charge until bytes arrive.
            self._cancel_header_timer()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        self.logger.info("closing a connection whose request headers did not arrive in time")
        try:
            self.conn.send(h11.ConnectionClosed())
        except h11.LocalProtocolError:
            pass
        self.transport.close()


def with_header_timeout(seconds: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class for uvicorn's `http` setting, with this header deadline."""

    class TimedHeaders(HeaderTimeoutProtocol):
        header_timeout = seconds

    return TimedHeaders
