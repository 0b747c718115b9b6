"""`komitmen api` as a real process: whom it believes about addresses, and slow clients.

- X-Forwarded-For is believed only from the proxies named in
  KOMITMEN_FORWARDED_ALLOW_IPS (default 127.0.0.1), and then only its right-most
  entry that is not one of them, the one the proxy added: a client that forges
  addresses on the left does not escape the per-address sign-in limit. Uvicorn's
  own FORWARDED_ALLOW_IPS, set here to "*" as the reference deployment once did,
  is not read.
- A connection whose request headers stop half way is closed after
  KOMITMEN_HEADER_TIMEOUT_SECONDS; one that sends nothing at all too; and one that
  sent a whole request and then half of the next. Whole requests are still served.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from komitmen.cli.serve import api_config
from komitmen.devserver import free_port
from komitmen.protocol import HeaderTimeoutProtocol
from services.settings import Settings

HEADER_TIMEOUT = 1
# Long enough that only the header timeout can explain a closed connection, short
# enough that a server without one fails the test soon.
PATIENCE = 8.0


@dataclass
class ApiProcess:
    """A running `komitmen api`: where it listens and its log."""

    port: int
    log: Path

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def api_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiProcess]:
    """`komitmen api` on a SQLite database of its own; no Temporal is needed to sign in."""
    folder = tmp_path_factory.mktemp("api-process")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMITMEN_")}
    env |= {
        "KOMITMEN_DATA_DIR": str(folder),
        "KOMITMEN_DATABASE_URL": f"sqlite:///{folder / 'komitmen.db'}",
        "KOMITMEN_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "KOMITMEN_API_HOST": "127.0.0.1",
        "KOMITMEN_API_PORT": str(port),
        "KOMITMEN_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        # One failure locks a username; four lock an address.
        "KOMITMEN_LOGIN_MAX_FAILURES": "1",
        # Uvicorn's own variable, trusting anyone: it must make no difference.
        "FORWARDED_ALLOW_IPS": "*",
    }
    log = folder / "api.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "komitmen", "api"],
            env=env,
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    api = ApiProcess(port, log)
    try:
        for _ in range(600):
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{api.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise AssertionError(f"komitmen api never answered:\n{log.read_text()}")
        yield api
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sign_in(api: ApiProcess, username: str, forwarded_for: str | None) -> int:
    """The status of a failing sign-in attempt, with an X-Forwarded-For header or none."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    body = {"username": username, "password": "bukan-sandinya"}
    return httpx.post(f"{api.url}/auth/token", json=body, headers=headers, timeout=10).status_code


def test_forged_forwarded_addresses_do_not_escape_the_address_limit(
    api_process: ApiProcess,
) -> None:
    proxy_added = "198.51.100.1"
    # Four failures from one address, each naming a different forged client on the left.
    for n in range(4):
        assert sign_in(api_process, f"orang-{n}", f"203.0.113.{n}, {proxy_added}") == 401
    # The address is locked now, whatever the client claims to be on the left.
    assert sign_in(api_process, "orang-4", f"203.0.113.99, {proxy_added}") == 429
    assert sign_in(api_process, "orang-5", f"10.9.8.7, 203.0.113.5, {proxy_added}") == 429
    # The right-most entry is the address counted: another one is not locked, and
    # neither is the direct peer (127.0.0.1) sending no header at all.
    assert sign_in(api_process, "orang-6", "203.0.113.0, 198.51.100.2") == 401
    assert sign_in(api_process, "orang-7", None) == 401


def connect(api: ApiProcess) -> socket.socket:
    """A raw TCP connection to the API."""
    sock = socket.create_connection(("127.0.0.1", api.port), timeout=PATIENCE)
    sock.settimeout(PATIENCE)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes the connection (read gives b"") within PATIENCE."""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_half_sent_headers_are_cut_off(api_process: ApiProcess) -> None:
    with connect(api_process) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        assert closed_by_server(sock), api_process.log.read_text()

    with connect(api_process) as silent:
        assert closed_by_server(silent)

    # A whole request is answered; half of the next one on the same connection is cut off.
    with connect(api_process) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200 ")
        time.sleep(HEADER_TIMEOUT * 1.5)  # idle, under the keep-alive timeout: still open
        sock.sendall(b"GET /health HTTP/1.1\r\nHo")
        assert closed_by_server(sock)

    # Headers that arrive in pieces, but in time, are served.
    with connect(api_process) as sock:
        for piece in (b"GET /health HTTP/1.1\r\n", b"Host: x\r\n", b"Connection: close\r\n\r\n"):
            sock.sendall(piece)
            time.sleep(HEADER_TIMEOUT / 5)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200 ") and b'"status"' in answer

    assert httpx.get(f"{api_process.url}/health", timeout=5).status_code == 200


def test_connection_limits_come_from_the_settings(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        forwarded_allow_ips="10.20.0.2",
        keep_alive_seconds=7,
        limit_concurrency=50,
        header_timeout_seconds=3,
    )
    config = api_config(settings)
    assert config.proxy_headers is True and config.forwarded_allow_ips == "10.20.0.2"
    assert (config.timeout_keep_alive, config.limit_concurrency) == (7, 50)
    assert isinstance(config.http, type) and issubclass(config.http, HeaderTimeoutProtocol)
    assert config.http.header_timeout == 3
    assert Settings(database_url="sqlite://").forwarded_allow_ips == "127.0.0.1"
