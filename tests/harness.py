"""A running Komitmen for workflow tests: database, worker, mail, and people to act as."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from db import people
from db.session import session_factory, transaction
from domain.catalog import load_catalog
from domain.roles import Acting, Actor, Role
from domain.schedule import ScheduleSpec
from komitmen.demo import seed_demo_users
from komitmen.worker import build_worker
from services import actions
from services.actions import Update
from services.settings import Settings
from workflows.commitment import ActionResult
from workflows.common import commitment_workflow_id, cycle_workflow_id

R = TypeVar("R", bound=BaseModel)


@dataclass
class Komitmen:
    """Handles on one running Komitmen under test."""

    client: Client
    settings: Settings
    task_queue: str
    cycle_id: str = ""
    codes: tuple[str, ...] = ()
    started: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Every cycle the test started (setting `codes` records `cycle_id`'s), all stopped at
    the end: a workflow left running on the shared time-skipping server stalls its clock
    for every later test."""

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "codes" and self.__dict__.get("cycle_id"):
            self.started[self.cycle_id] = value

    def actor(self, username: str, acting: Acting = Acting.DEFINITIVE) -> Actor:
        """The actor behind a demo user."""
        with transaction(session_factory(self.settings.db_url)) as session:
            user = people.get_user(session, username=username)
            assert user is not None, username
            return Actor(
                name=user.full_name,
                role=Role(user.role),
                regency_code=user.regency_code,
                office=user.office,
                acting=acting,
                username=user.username,
            )

    async def start(
        self, cycle_id: str, year: int, schedule: ScheduleSpec, codes: list[str] | None = None
    ) -> None:
        """Start a cycle as the demo coordinator."""
        self.cycle_id = cycle_id
        self.codes = tuple(codes or load_catalog().codes())
        spec = actions.build_cycle_spec(
            cycle_id=cycle_id,
            name=f"Rakor PB NTT {year - 1}",
            year=year,
            catalog=load_catalog(),
            schedule=schedule,
            started_by=self.actor("koordinator"),
            regency_codes=codes or [],
        )
        await actions.start_cycle(
            self.client,
            spec,
            task_queue=self.task_queue,
            digest_window_minutes=self.settings.digest_window_minutes,
        )

    async def stop_workflows(self) -> None:
        """Terminate what the test left running: without a worker, it would stall the clock."""
        ids = []
        for cycle_id, codes in self.started.items():
            ids.append(cycle_workflow_id(cycle_id))
            ids += [commitment_workflow_id(f"{cycle_id}:{code}") for code in codes]
        for workflow_id in ids:
            with contextlib.suppress(RPCError):  # it had already ended
                await self.client.get_workflow_handle(workflow_id).terminate("test finished")

    async def act(self, code: str, update: Update[R], request: R) -> ActionResult:
        """Send an action (the workflow's update, e.g. `CommitmentWorkflow.sign`) to one
        regency's commitment in the current cycle."""
        return await actions.act(self.client, f"{self.cycle_id}:{code}", update, request)


@asynccontextmanager
async def running_komitmen(
    client: Client,
    db_url: str,
    *,
    smtp_port: int | None = None,
    outbox: Path | None = None,
    **settings_changes: Any,
) -> AsyncIterator[Komitmen]:
    """Seed the demo directory and run a worker on a task queue of its own; the settings
    are the embedded defaults with `settings_changes` (e.g. where evidence is kept)."""
    settings = Settings(
        database_url=db_url,
        smtp_host="127.0.0.1" if smtp_port else None,
        smtp_port=smtp_port or 25,
        outbox_dir=outbox,
        **settings_changes,
    )
    with transaction(session_factory(db_url)) as session:
        seed_demo_users(session, load_catalog())
    task_queue = f"test-{uuid.uuid4().hex[:8]}"
    async with build_worker(client, settings, task_queue=task_queue):
        komitmen = Komitmen(client=client, settings=settings, task_queue=task_queue)
        try:
            yield komitmen
        finally:
            await komitmen.stop_workflows()


# The test server's Sleep call can fail on a busy two-core machine (a timeout, or an
# HTTP/2 error) with the clock part-way there; asking again continues from there.
_SLEEP_GLITCHES = ("Timeout expired", "h2 protocol error")


async def until(env: WorkflowEnvironment, moment: datetime) -> None:
    """Let the time-skipping server's clock run to `moment`: timers fire, activities run."""
    for _ in range(3):
        now = await env.get_current_time()
        if moment <= now:
            return
        try:
            await env.sleep(moment - now)
        except RPCError as error:
            if not any(glitch in error.message for glitch in _SLEEP_GLITCHES):
                raise
    assert await env.get_current_time() >= moment, "the test server's clock stalled"


def d(text: str) -> date:
    """A date from ISO text, for readable tests."""
    return date.fromisoformat(text)
