"""What commands stand on: the database, Temporal, users, cycles and commitments."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session
from temporalio.client import Client

from db import models as m
from db import people, reads
from db.session import session_factory, transaction
from domain.catalog import Regency, load_catalog
from domain.commitment import commitment_id
from domain.roles import Acting, Actor, Role
from domain.stages import Stage
from komitmen.cli.output import stage_label
from services import actions
from services.actions import ActionRefused
from services.settings import Settings
from services.temporal import connect
from workflows.commitment import ActionResult

T = TypeVar("T")

# How long a command waits for a workflow to answer before suspecting no worker runs.
ANSWER_TIMEOUT_SECONDS = 60.0


# --- errors --------------------------------------------------------------------------


class UsageError(Exception):
    """A user's mistake explained in one message (exit status 2)."""


class Unavailable(Exception):
    """Temporal, a worker or the database cannot be reached (exit status 1)."""


# --- database and Temporal -----------------------------------------------------------


@contextmanager
def database(settings: Settings) -> Iterator[Session]:
    """A session on the configured database, committed on success."""
    with transaction(session_factory(settings.db_url)) as session:
        yield session


async def client_for(settings: Settings) -> Client:
    """A client for the configured cluster, or Unavailable saying where it looked."""
    try:
        return await connect(settings)
    except RuntimeError as error:
        raise Unavailable(
            f"cannot reach Temporal at {settings.temporal_address}: {error}\n"
            "is `komitmen up` (or your cluster) running?"
        ) from None


async def answered(settings: Settings, work: Awaitable[T]) -> T:
    """Await `work`, giving up with Unavailable when no worker answers in time."""
    try:
        return await asyncio.wait_for(work, ANSWER_TIMEOUT_SECONDS)
    except TimeoutError:
        raise Unavailable(
            f"no answer from Temporal within {ANSWER_TIMEOUT_SECONDS:.0f} s; is a worker "
            f"running on task queue {settings.temporal_task_queue!r} "
            "(`komitmen worker` or `komitmen up`)? The request may still be carried out "
            "once one runs: check with `komitmen show` before repeating it"
        ) from None


def with_client(settings: Settings, work: Callable[[Client], Awaitable[T]]) -> T:
    """Connect, run `work`, and give up when no worker answers in time."""

    async def connected() -> T:
        return await answered(settings, work(await client_for(settings)))

    return asyncio.run(connected())


def act(settings: Settings, target_id: str, action: str, request: BaseModel) -> ActionResult:
    """Send one action to a commitment's workflow and return its result."""
    return with_client(settings, lambda client: actions.act(client, target_id, action, request))


def actor_for(session: Session, username: str, acting: Acting | None = None) -> Actor:
    """The actor behind a user of the directory, optionally acting in another capacity."""
    user = people.get_user(session, username=username)
    if user is None:
        raise UsageError(f"unknown user {username!r}; `komitmen users` lists who can act")
    return Actor(
        name=user.full_name,
        role=Role(user.role),
        regency_code=user.regency_code,
        office=user.office,
        acting=acting or Acting(user.acting),
        nip=user.nip,
    )


def find_cycle(session: Session, cycle_id: str) -> m.Cycle:
    """A recorded cycle, or UsageError naming the known ones."""
    cycles = reads.list_cycles(session)
    for cycle in cycles:
        if cycle.id == cycle_id:
            return cycle
    known = ", ".join(c.id for c in cycles) or "none yet"
    raise UsageError(f"no cycle {cycle_id!r}; known cycles: {known}")


def cycle_codes(cycle: m.Cycle) -> list[str]:
    """The Kemendagri codes of the regencies a cycle was started for."""
    return [str(r["code"]) for r in cycle.spec.get("regencies", [])]


@dataclass
class Target:
    """One regency's commitment in a cycle, as the database shows it."""

    cycle: m.Cycle
    regency: Regency
    row: m.Commitment | None

    @property
    def id(self) -> str:
        """The commitment id."""
        return commitment_id(self.cycle.id, self.regency.kemendagri_code)

    @property
    def label(self) -> str:
        """Code and name: "53.01 Kabupaten Kupang"."""
        return f"{self.regency.kemendagri_code} {self.regency.name}"

    @property
    def latest_version(self) -> int:
        """The latest saved version; 0 before the first save."""
        return self.row.latest_version if self.row else 0


def find_target(session: Session, cycle_id: str, regency_code: str) -> Target:
    """A commitment by cycle and regency code (Kemendagri 53.01 or BPS 5303)."""
    cycle = find_cycle(session, cycle_id)
    regency = load_catalog().get(regency_code)
    if regency.kemendagri_code not in cycle_codes(cycle):
        raise UsageError(
            f"{regency.kemendagri_code} {regency.name} is not in cycle {cycle.id}; "
            f"its regencies: {', '.join(cycle_codes(cycle))}"
        )
    row = reads.get_commitment(
        session, commitment_id=commitment_id(cycle.id, regency.kemendagri_code)
    )
    return Target(cycle=cycle, regency=regency, row=row)


def open_target(session: Session, cycle_id: str, regency_code: str) -> Target:
    """A commitment that can still be acted on; an ended one is refused here."""
    target = find_target(session, cycle_id, regency_code)
    if target.row is not None and Stage(target.row.stage).is_terminal:
        raise ActionRefused(
            f"{target.label} has ended in cycle {cycle_id} ({stage_label(target.row.stage)})"
        )
    return target
