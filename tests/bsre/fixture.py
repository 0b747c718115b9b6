"""Run the BSrE stand-in with uvicorn on a free loopback port: `async with running_bsre(tmp)`."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn

from tests.bsre.service import BsreState, Mode, create_app
from tests.smtp import free_port

USERNAME = "komitmen"
PASSWORD = "esign-client-secret"


class RunningBsre:
    """A running stand-in: where it listens, its credentials, its CAs and its switches."""

    def __init__(self, state: BsreState, port: int) -> None:
        self.state = state
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.username = state.username
        self.password = state.password
        # The CA signed PDFs must chain to, and one nobody should trust.
        self.ca_pem_path: Path = state.trusted.root_pem_path
        self.untrusted_ca_pem_path: Path = state.untrusted.root_pem_path

    @property
    def mode(self) -> Mode:
        """How the service behaves now (normal, down, untrusted, corrupt, partial)."""
        return self.state.mode

    @mode.setter
    def mode(self, mode: Mode | str) -> None:
        self.state.mode = Mode(mode)

    def add_user(self, nik: str, passphrase: str, common_name: str | None = None) -> None:
        """Register a signer under `nik` with `passphrase`."""
        self.state.add_user(nik, passphrase, common_name)


@asynccontextmanager
async def running_bsre(directory: Path) -> AsyncIterator[RunningBsre]:
    """The BSrE stand-in serving on 127.0.0.1 from a background thread until the block ends."""
    state = BsreState.create(directory / "bsre", username=USERNAME, password=PASSWORD)
    port = free_port()
    config = uvicorn.Config(
        create_app(state), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"bsre-{port}", daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started or not thread.is_alive():
                break
            await asyncio.sleep(0.01)
        if not server.started:
            raise RuntimeError("the BSrE stand-in did not start")
        yield RunningBsre(state, port)
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
