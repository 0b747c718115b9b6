"""Dependencies shared by the JSON routes: the runtime, the signed-in user and their scope.

Each one is thin: it reads the request and asks a service (`services.access`,
`services.commitments`), which raises the refusals `api/errors.py` maps to HTTP.

FastAPI runs a plain `def` dependency in a thread of its pool and an `async def` one
on the event loop. A hop to a thread and back costs more CPU than most of these
dependencies do (docs/benchmarks.md, `bench.api_load`), so only those that wait on
the database are plain functions; the others, which only read the request or check
what another dependency found, are `async def` and never block.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Annotated

import anyio
from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from temporalio.client import Client

from domain.cycle import CYCLE_ID_PATTERN
from domain.errors import DomainError
from services import access, commitments
from services.access import AuthUser
from services.commitments import CommitmentRef
from services.database import transaction
from services.errors import Refusal, Unauthenticated
from services.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    """The app's runtime."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def client_address(request: Request) -> str:
    """The address the request came from (the TCP peer; a proxy's own address behind one)."""
    return request.client.host if request.client else "unknown"


async def get_session(runtime: RuntimeDep) -> AsyncIterator[Session]:
    """A session in one transaction for the request."""
    # Opening the transaction does no I/O (the connection is taken at the first query,
    # in the thread of the code that makes it), so it opens here on the event loop and
    # only its end, a commit or a rollback, goes to a thread: one hop instead of the two
    # of a plain generator. Ended as FastAPI ends one: shielded from cancellation, and
    # without waiting for room in the thread pool, whose threads may hold connections.
    transaction_ = transaction(runtime.sessions)
    session = transaction_.__enter__()
    end = partial(anyio.to_thread.run_sync, limiter=anyio.CapacityLimiter(1))
    try:
        yield session
    except BaseException as error:
        with anyio.CancelScope(shield=True):
            await end(transaction_.__exit__, type(error), error, error.__traceback__)
        raise
    else:
        with anyio.CancelScope(shield=True):
            await end(transaction_.__exit__, None, None, None)


# Commit before the response leaves: a client that follows a redirect at once (a
# browser after signing in) must find what the request wrote.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="a token from POST /auth/token")


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The bearer token of the request; 401 without one."""
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("a bearer token is required; get one from POST /auth/token")
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]


def current_user(runtime: RuntimeDep, token: BearerToken) -> AuthUser:
    """The user holding the request's token; 401 if it is unknown or revoked."""
    with transaction(runtime.sessions) as session:
        return access.authenticate(session, token, runtime.clock())


CurrentUser = Annotated[AuthUser, Depends(current_user)]


async def temporal_client(runtime: RuntimeDep) -> Client:
    """The Temporal client of the app."""
    return await runtime.client()


TemporalDep = Annotated[Client, Depends(temporal_client)]


# A cycle id in a path: anything else is refused (422) before it reaches a query.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="a record's number")]
"""A record's id in a path: a database integer, so a larger number is a 422, never a 500."""

CycleId = Annotated[str, Path(pattern=CYCLE_ID_PATTERN, description="e.g. rakor-2026")]


@dataclass(frozen=True)
class ScopedCommitment:
    """The person holding the request's token and the commitment at the path in their scope."""

    user: AuthUser
    ref: CommitmentRef


def find_scoped_commitment(
    cycle_id: CycleId, regency_code: str, token: BearerToken, runtime: RuntimeDep
) -> ScopedCommitment:
    """The user (401 as `current_user`) and the commitment at the path, checked against their
    scope before anything is read: one transaction and one hop to a thread for both."""
    with transaction(runtime.sessions) as session:
        user = access.authenticate(session, token, runtime.clock())
        try:
            return ScopedCommitment(
                user, commitments.find_commitment(session, user, cycle_id, regency_code)
            )
        except (Refusal, DomainError) as refused:
            # Refused after the token was found: its use is still noted, as it was when
            # the user was read in a transaction of their own.
            refusal = refused
    raise refusal


ScopedDep = Annotated[ScopedCommitment, Depends(find_scoped_commitment)]


async def commitment_ref(scoped: ScopedDep) -> CommitmentRef:
    """The commitment at the path, checked against the user's scope before anything is read."""
    return scoped.ref


async def recorded_commitment(
    ref: Annotated[CommitmentRef, Depends(commitment_ref)],
) -> CommitmentRef:
    """A commitment in scope that the database has recorded; 404 otherwise."""
    ref.recorded()
    return ref


async def open_commitment(ref: Annotated[CommitmentRef, Depends(commitment_ref)]) -> CommitmentRef:
    """A commitment in scope that has not ended; 409 if it has."""
    ref.ensure_open()
    return ref


CommitmentDep = Annotated[CommitmentRef, Depends(recorded_commitment)]
OpenCommitmentDep = Annotated[CommitmentRef, Depends(open_commitment)]
