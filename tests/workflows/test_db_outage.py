"""PostgreSQL stops while people act: actions wait, records retry, nothing lost or doubled.

The test runs a PostgreSQL server of its own (the shared one stays up), a real
`komitmen worker` process and Temporal's dev server on the real clock. Five
regencies draft and submit; then, while their approvals and signatures are under
way, the database is stopped for a few seconds. Every action in flight waits in its
Update handler, whose `record_event` local activity fails and retries; once the server is
back the worker's pool replaces the broken connections, every action completes,
and the database matches each workflow's own state row for row.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from db import models as m
from db.session import migrate, session_factory, transaction
from domain import commitment as c
from domain.calendar import WITA
from domain.catalog import load_catalog
from domain.schedule import default_schedule
from domain.stages import Stage
from komitmen.demo import sample_plan, seed_demo_users
from komitmen.devserver import free_port
from services.actions import Update
from services.settings import Settings
from tests.harness import Komitmen
from workflows.commitment import ActionResult, CommitmentWorkflow
from workflows.common import commitment_workflow_id

ROOT = Path(__file__).resolve().parents[2]
CYCLE = "db-outage"
CODES = ["53.01", "53.02", "53.03", "53.04", "53.05"]
OUTAGE_SECONDS = 5


def postgres_binaries() -> Path:
    """The folder holding initdb and pg_ctl; the test fails (never skips) without them."""
    versions = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    candidates = sorted(versions, key=lambda p: int(p.parent.name), reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    pytest.fail(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin "
        "or on PATH: install the postgresql package to run the database outage test",
        pytrace=False,
    )


class PostgresServer:
    """A throwaway PostgreSQL cluster on a free port, with trust authentication."""

    def __init__(self) -> None:
        """Choose a folder and a port; initdb refuses root, so root runs it as `postgres`."""
        self.bin = postgres_binaries()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="komitmen-pg-"))
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"

    def create(self) -> None:
        """Create the cluster."""
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    @property
    def url(self) -> str:
        """Where Komitmen finds it."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop the server in `fast` mode: every session ends at once, as in a restart."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs and delete its files."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        done = subprocess.run(
            [*self.as_user, str(self.bin / program), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0 or not check, f"{program}: {done.stdout}\n{done.stderr}"


@contextmanager
def own_postgres() -> Iterator[PostgresServer]:
    """A started PostgreSQL of the test's own, removed afterwards."""
    server = PostgresServer()
    try:
        server.create()
        server.start()
        yield server
    finally:
        server.remove()


@contextmanager
def worker_process(settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`komitmen worker` as a separate process configured by environment variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMITMEN_")}
    env |= {
        "KOMITMEN_DATA_DIR": str(settings.data_dir),
        "KOMITMEN_DATABASE_URL": settings.database_url,
        "KOMITMEN_TEMPORAL_ADDRESS": settings.temporal_address,
        "KOMITMEN_TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "komitmen", "worker"],
            env=env,
            cwd=settings.data_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Timeline:
    """When each action started and ended, and when the database went away and came back."""

    actions: list[tuple[float, float]] = field(default_factory=list)
    down_at: float = float("inf")
    up_at: float = float("inf")

    def during_outage(self) -> int:
        """Actions that were under way at some moment while the database was down."""
        return sum(1 for start, end in self.actions if start < self.up_at and end > self.down_at)


async def record_attempts(client: Client) -> list[int]:
    """Attempts each record_event local activity of the commitments took, from their markers."""
    attempts = []
    for code in CODES:
        history = await client.get_workflow_handle(
            commitment_workflow_id(f"{CYCLE}:{code}")
        ).fetch_history()
        for e in history.events:
            marker = e.marker_recorded_event_attributes
            if marker.marker_name == "core_local_activity":
                data = json.loads(marker.details["data"].payloads[0].data)
                if data["activity_type"] == "record_event":
                    attempts.append(data["attempt"])
    return attempts


async def test_actions_survive_a_database_outage(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    env = dev_server_env
    with own_postgres() as pg:
        migrate(pg.url)
        with transaction(session_factory(pg.url)) as session:
            seed_demo_users(session, load_catalog())
        settings = Settings(
            data_dir=tmp_path,
            database_url=pg.url,
            temporal_address=env.client.service_client.config.target_host,
            temporal_task_queue=f"db-outage-{free_port()}",
            smtp_host=None,
            outbox_dir=None,
        )
        k = Komitmen(client=env.client, settings=settings, task_queue=settings.temporal_task_queue)
        with worker_process(settings, tmp_path / "worker.log"):
            try:
                y = (await env.get_current_time()).astimezone(WITA).year + 1
                await k.start(CYCLE, y, default_schedule(y), CODES)
                timeline = Timeline()

                async def act(code: str, update: Update[Any], request: BaseModel) -> ActionResult:
                    started = time.monotonic()
                    result = await asyncio.wait_for(k.act(code, update, request), timeout=90)
                    timeline.actions.append((started, time.monotonic()))
                    return result

                # Who acts, looked up while the database is still there.
                people = {"reviewer": k.actor("reviewer")}
                for code in CODES:
                    for role in ("operator", "kalak", "bappeda", "kada"):
                        name = f"{role}-{code.replace('.', '')}"
                        people[name] = k.actor(name)

                async def draft(code: str) -> None:
                    officer = people[f"operator-{code.replace('.', '')}"]
                    plan = sample_plan(load_catalog().get(code))
                    await act(
                        code,
                        CommitmentWorkflow.save_draft,
                        c.SaveDraft(actor=officer, plan=plan, based_on_version=0),
                    )
                    await act(code, CommitmentWorkflow.submit, c.Submit(actor=officer, version=1))

                first_done, down = asyncio.Event(), asyncio.Event()

                async def approve_and_sign(code: str) -> ActionResult:
                    result = await act(
                        code,
                        CommitmentWorkflow.approve,
                        c.Approve(actor=people["reviewer"], version=1),
                    )
                    first_done.set()
                    # Approvals are in flight as the server stops; signing starts while it is down.
                    await down.wait()
                    assert result.document_hash is not None
                    for role in ("kalak", "bappeda", "kada"):
                        signer = people[f"{role}-{code.replace('.', '')}"]
                        result = await act(
                            code,
                            CommitmentWorkflow.sign,
                            c.Sign(actor=signer, document_hash=result.document_hash),
                        )
                    return result

                await asyncio.gather(*(draft(code) for code in CODES))
                chains = [asyncio.create_task(approve_and_sign(code)) for code in CODES]
                await first_done.wait()
                timeline.down_at = time.monotonic()
                await asyncio.to_thread(pg.stop)
                down.set()
                await asyncio.sleep(OUTAGE_SECONDS)
                waiting = sum(1 for chain in chains if not chain.done())
                await asyncio.to_thread(pg.start)
                timeline.up_at = time.monotonic()
                results = await asyncio.gather(*chains)

                assert waiting == len(CODES), "every regency's signature waited for the database"
                assert {r.stage for r in results} == {Stage.FOLLOW_UP}
                await check_projection(k.client, pg.url)
                retried = [n for n in await record_attempts(k.client) if n > 1]
                assert len(retried) >= len(CODES), "each waiting record was retried until it held"
                print(
                    f"database outage: {len(timeline.actions)} actions, "
                    f"{timeline.during_outage()} under way during the outage, "
                    f"{len(retried)} record_event local activities retried, "
                    f"taking {sorted(retried)} attempts"
                )
            finally:
                await k.stop_workflows()


async def check_projection(client: Client, url: str) -> None:
    """Each commitment's rows match its workflow's state: every event once, nothing extra."""
    for code in CODES:
        commitment_id = f"{CYCLE}:{code}"
        state = await client.get_workflow_handle(commitment_workflow_id(commitment_id)).query(
            "current", result_type=c.CommitmentState
        )
        with transaction(session_factory(url)) as s:
            row = s.get(m.Commitment, commitment_id)
            assert row is not None
            assert (row.stage, row.last_seq, row.latest_version) == (
                state.stage.value,
                state.seq,
                state.version,
            )
            seqs = s.scalars(
                select(m.AuditEvent.seq)
                .where(m.AuditEvent.stream == commitment_id)
                .order_by(m.AuditEvent.seq)
            ).all()
            assert list(seqs) == list(range(1, state.seq + 1)), commitment_id
            versions = s.scalar(
                select(func.count()).where(m.PlanVersion.commitment_id == commitment_id)
            )
            assert versions == state.version == 1
            offices = Counter(
                s.scalars(
                    select(m.Signature.office).where(m.Signature.commitment_id == commitment_id)
                ).all()
            )
            assert offices == Counter(state.signatures.keys())
            assert set(offices.values()) == {1} and len(offices) == 3
