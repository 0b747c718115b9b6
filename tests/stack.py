"""Komitmen as separate processes for end-to-end tests: the Temporal dev server and a worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from db.session import migrate, session_factory, transaction
from domain.catalog import load_catalog
from komitmen.demo import seed_demo_users
from komitmen.devserver import DevServer, free_port
from services.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def process_env(settings: Settings) -> dict[str, str]:
    """This process's environment with KOMITMEN_* taken from `settings` alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMITMEN_")}
    for name, value in settings.model_dump(exclude_defaults=True).items():
        if value is not None:
            env[f"KOMITMEN_{name.upper()}"] = str(value)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


class WorkerProcess:
    """`komitmen worker` as a process of its own, which a test may kill and start again.

    Every run appends its output to one log, each headed by a line saying when it began.
    """

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        """Remember how to run the worker; nothing starts until `start()`."""
        self.env = env
        self.cwd = cwd
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None
        # Where the current run's output begins in the log.
        self._offset = 0

    @property
    def running(self) -> bool:
        """True while the current run is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int:
        """The process id of the current run."""
        assert self._process is not None, "no worker runs"
        return self._process.pid

    def start(self) -> None:
        """Start a worker (the previous one must have ended)."""
        assert not self.running, "a worker runs already"
        self._offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            out.write(f"--- worker started {datetime.now().isoformat()}\n".encode())
            out.flush()
            self._process = subprocess.Popen(
                [sys.executable, "-m", "komitmen", "worker"],
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        """Block until the current run polls its task queue."""
        deadline = time.monotonic() + timeout
        while b"worker running on task queue" not in self.log.read_bytes()[self._offset :]:
            assert self.running, f"the worker exited:\n{self.tail()}"
            assert time.monotonic() < deadline, f"the worker is not polling:\n{self.tail()}"
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the worker: no shutdown, no goodbye to the server, as in a crash."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()
            self._process = None

    def stop(self, timeout: float = 15) -> None:
        """Ask the worker to stop, as an operator would; kill it if it lingers."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._process = None

    def tail(self, chars: int = 3000) -> str:
        """The end of the log, for assertion messages."""
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@dataclass
class Stack:
    """A dev server and a worker process on a data folder of their own."""

    settings: Settings
    env: dict[str, str]
    server: DevServer
    worker: WorkerProcess

    @property
    def worker_log(self) -> Path:
        """Where the worker's output goes."""
        return self.worker.log

    def run(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        """Run `komitmen ARGS` as a process and check its exit status."""
        done = subprocess.run(
            [sys.executable, "-m", "komitmen", *args],
            env=self.env,
            cwd=self.settings.data_dir,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert done.returncode == expect, (
            f"komitmen {' '.join(args)} exited {done.returncode}, expected {expect}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}\n"
            f"worker log:\n{self.worker.tail()}"
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done


@contextmanager
def komitmen_stack(folder: Path, **settings: Any) -> Iterator[Stack]:
    """A dev server on free ports, a migrated database with the demo people, and a worker.

    `settings` override the defaults (an embedded SQLite database and the outbox in
    `folder`); the worker and `Stack.run` get them as KOMITMEN_* variables.
    """
    # Explicit defaults, so that KOMITMEN_* variables of whoever runs the tests stay out.
    neutral: dict[str, Any] = {"database_url": "", "smtp_host": None, "outbox_dir": None}
    config = Settings(
        data_dir=folder,
        temporal_address=f"127.0.0.1:{free_port()}",
        temporal_ui_port=free_port(),
        **(neutral | settings),
    )
    env = process_env(config)
    migrate(config.db_url)
    with transaction(session_factory(config.db_url)) as session:
        seed_demo_users(session, load_catalog())
    server = DevServer(config, startup_timeout=30)
    worker = WorkerProcess(env, folder, folder / "worker.log")
    try:
        server.start()
        worker.start()
        yield Stack(settings=config, env=env, server=server, worker=worker)
    finally:
        worker.stop()
        server.stop()
