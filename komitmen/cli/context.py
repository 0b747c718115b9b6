"""What commands stand on: the database, Temporal, users, cycles and commitments."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session
from temporalio.client import Client

from domain.stages import Action, Stage
from komitmen.cli.output import stage_label
from services import actions, cycles, evidence, people
from services import schemas as s
from services.access import AuthUser
from services.cycles import CycleCommitment
from services.database import open_session
from services.errors import ActionRefused, NotFound
from services.settings import Settings
from services.temporal import connect

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
    """A session on the configured database, committed on success.

    What the services find missing there (a cycle, a regency not in it) is the user's
    mistake, said as it is: UsageError.
    """
    try:
        with open_session(settings) as session:
            yield session
    except NotFound as missing:
        raise UsageError(missing.detail) from None


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


def take(
    settings: Settings, target: Target, action: Action, user: AuthUser, body: BaseModel
) -> s.ActionOut:
    """Take a person's action on a commitment, its body the one the API validates."""
    with open_session(settings) as session:
        attached = evidence.attached_for(session, target.ref, body)
    request = actions.request_for(
        action, user, body, attached=attached, regency_code=target.ref.regency_code
    )
    return with_client(settings, lambda client: actions.take(client, target.ref, action, request))


def user_for(session: Session, username: str) -> AuthUser:
    """A person of the directory, or UsageError pointing at `komitmen users`."""
    user = people.find_person(session, username)
    if user is None:
        raise UsageError(f"unknown user {username!r}; `komitmen users` lists who can act")
    return user


Target = CycleCommitment
"""One regency's commitment in a cycle, as the database shows it."""


def find_target(session: Session, cycle_id: str, regency_code: str) -> Target:
    """A commitment by cycle and regency code (Kemendagri 53.01 or BPS 5303)."""
    return cycles.find_cycle_commitment(session, cycle_id, regency_code)


def open_target(session: Session, cycle_id: str, regency_code: str) -> Target:
    """A commitment that can still be acted on; an ended one is refused here."""
    target = find_target(session, cycle_id, regency_code)
    if target.row is not None and Stage(target.row.stage).is_terminal:
        raise ActionRefused(
            f"{target.label} has ended in cycle {cycle_id} ({stage_label(target.row.stage)})"
        )
    return target
