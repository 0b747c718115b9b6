"""A real SMTP server on the loopback interface that keeps every message it receives."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Delivery:
    """One accepted SMTP transaction: envelope addresses, raw bytes, whether AUTH passed.

    `peer` is the client's address and port, the same for every transaction of one session.
    """

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    authenticated: bool
    peer: tuple[str, int]


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on `host` right now."""
    # aiosmtpd 1.4 cannot bind port 0 (its readiness probe connects to the configured port).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class _CollectingHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._sink._record(
            Delivery(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=bytes(envelope.original_content),
                authenticated=bool(session.authenticated),
                peer=tuple(session.peer),
            )
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 collecting messages; use start()/stop() or `with`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        credentials: tuple[str, str] | None = None,
        on_delivery: Callable[[Delivery], None] | None = None,
    ) -> None:
        """Prepare a server; with `credentials` it offers AUTH checked against that pair.

        `on_delivery` runs in the server's thread once a message is kept and before the
        client hears that it was accepted, so a test can act at that very moment.
        """
        self.host = host
        self.port = port or free_port(host)
        self.credentials = credentials
        self.on_delivery = on_delivery
        self._lock = threading.Lock()
        self._deliveries: list[Delivery] = []
        self._controller: Controller | None = None

    def start(self) -> None:
        """Start serving in a background thread."""
        options: dict[str, Any] = {}
        if self.credentials is not None:
            # Plain-text AUTH over loopback is fine for a test; aiosmtpd refuses it by default.
            # AUTH stays optional (aiosmtpd warns on required AUTH without TLS); tests read
            # `Delivery.authenticated` instead.
            options = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(
            _CollectingHandler(self), hostname=self.host, port=self.port, **options
        )
        self._controller.start()

    def stop(self) -> None:
        """Stop the server; collected messages stay readable."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        """Start the server for a `with` block."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server at the end of a `with` block."""
        self.stop()

    @property
    def deliveries(self) -> list[Delivery]:
        """Every accepted transaction so far, oldest first."""
        with self._lock:
            return list(self._deliveries)

    @property
    def messages(self) -> list[EmailMessage]:
        """Every accepted message so far, parsed with the modern email policy."""
        parsed: list[EmailMessage] = []
        for delivery in self.deliveries:
            message = message_from_bytes(delivery.data, policy=policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed

    def _record(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)
        if self.on_delivery is not None:
            self.on_delivery(delivery)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        expected = self.credentials
        ok = (
            expected is not None
            and isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == expected[0]
            and auth_data.password.decode() == expected[1]
        )
        return AuthResult(success=ok, handled=False)
