"""Dependencies shared by the JSON routes: the runtime, the signed-in user and their scope.

Each one is thin: it reads the request and asks a service (`services.access`,
`services.commitments`), which raises the refusals `api/errors.py` maps to HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from temporalio.client import Client

from domain.cycle import CYCLE_ID_PATTERN
from services import access, commitments
from services.access import AuthUser
from services.commitments import CommitmentRef
from services.database import transaction
from services.errors import Unauthenticated
from services.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    """The app's runtime."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def client_address(request: Request) -> str:
    """The address the request came from (the TCP peer; a proxy's own address behind one)."""
    return request.client.host if request.client else "unknown"


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """A session in one transaction for the request."""
    with transaction(runtime.sessions) as session:
        yield session


# Commit before the response leaves: a client that follows a redirect at once (a
# browser after signing in) must find what the request wrote.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="a token from POST /auth/token")


def bearer_token(
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


def commitment_ref(
    cycle_id: CycleId, regency_code: str, user: CurrentUser, runtime: RuntimeDep
) -> CommitmentRef:
    """The commitment at the path, checked against the user's scope before anything is read."""
    with transaction(runtime.sessions) as session:
        return commitments.find_commitment(session, user, cycle_id, regency_code)


def recorded_commitment(ref: Annotated[CommitmentRef, Depends(commitment_ref)]) -> CommitmentRef:
    """A commitment in scope that the database has recorded; 404 otherwise."""
    ref.recorded()
    return ref


def open_commitment(ref: Annotated[CommitmentRef, Depends(commitment_ref)]) -> CommitmentRef:
    """A commitment in scope that has not ended; 409 if it has."""
    ref.ensure_open()
    return ref


CommitmentDep = Annotated[CommitmentRef, Depends(recorded_commitment)]
OpenCommitmentDep = Annotated[CommitmentRef, Depends(open_commitment)]
