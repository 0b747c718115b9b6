"""Dependencies shared by the routes: the database, Temporal, the user and their scope."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from api.errors import Conflict, NotFound, OutOfScope, Unauthorized
from api.security import LoginThrottle
from db import models as m
from db import people, reads
from db.session import transaction
from domain.catalog import load_catalog
from domain.commitment import commitment_id
from domain.cycle import CYCLE_ID_PATTERN
from domain.roles import Acting, Actor, Role
from domain.stages import Stage
from services.settings import Settings

ClientFactory = Callable[[], Awaitable[Client]]


@dataclass
class Runtime:
    """What the app holds for its whole life: settings, sessions and a Temporal client."""

    settings: Settings
    sessions: sessionmaker[Session]
    client_factory: ClientFactory
    _client: Client | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def throttle(self) -> LoginThrottle:
        """The sign-in throttle the settings describe."""
        return LoginThrottle(
            max_failures=self.settings.login_max_failures,
            window=timedelta(minutes=self.settings.login_window_minutes),
        )

    async def client(self) -> Client:
        """The Temporal client, connected on first use."""
        async with self._lock:
            if self._client is None:
                self._client = await self.client_factory()
            return self._client


@dataclass(frozen=True)
class AuthUser:
    """The authenticated user, detached from any session."""

    id: int
    username: str
    full_name: str
    role: Role
    regency_code: str | None
    office: str | None
    acting: Acting
    nip: str | None

    @classmethod
    def of(cls, user: m.UserAccount) -> AuthUser:
        """Copy what the API needs of a user account."""
        return cls(
            id=user.id,
            username=user.username,
            full_name=user.full_name,
            role=Role(user.role),
            regency_code=user.regency_code,
            office=user.office,
            acting=Acting(user.acting),
            nip=user.nip,
        )

    def actor(self, acting: Acting | None = None) -> Actor:
        """The actor recorded for this user's actions."""
        return Actor(
            name=self.full_name,
            role=self.role,
            regency_code=self.regency_code,
            office=self.office,
            acting=acting or self.acting,
            nip=self.nip,
        )

    def covers(self, regency_code: str) -> bool:
        """Whether this user may see and act for the regency."""
        return not self.role.is_regency_role or self.regency_code == regency_code


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
        raise Unauthorized("a bearer token is required; get one from POST /auth/token")
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]


def current_user(runtime: RuntimeDep, token: BearerToken) -> AuthUser:
    """The user holding the request's token; 401 if it is unknown or revoked."""
    with transaction(runtime.sessions) as session:
        user = people.find_user_by_token(session, token=token, now=datetime.now(UTC))
        if user is None:
            raise Unauthorized("the token is unknown or revoked")
        return AuthUser.of(user)


CurrentUser = Annotated[AuthUser, Depends(current_user)]


async def temporal_client(runtime: RuntimeDep) -> Client:
    """The Temporal client of the app."""
    return await runtime.client()


TemporalDep = Annotated[Client, Depends(temporal_client)]


# A cycle id in a path: anything else is refused (422) before it reaches a query.
CycleId = Annotated[str, Path(pattern=CYCLE_ID_PATTERN, description="e.g. rakor-2026")]


@dataclass(frozen=True)
class CommitmentRef:
    """A commitment the user's scope covers, as the database shows it (row None if unseen)."""

    cycle_id: str
    regency_code: str
    row: m.Commitment | None

    @property
    def id(self) -> str:
        """The commitment id."""
        return commitment_id(self.cycle_id, self.regency_code)


def scoped_regency(regency_code: str, user: AuthUser) -> str:
    """The Kemendagri code of a regency the user covers; 404 unknown, 403 out of scope."""
    code = load_catalog().get(regency_code).kemendagri_code
    if not user.covers(code):
        raise OutOfScope(
            f"{user.username} ({user.role.value}) acts for regency {user.regency_code} only"
        )
    return code


def commitment_ref(
    cycle_id: CycleId, regency_code: str, user: CurrentUser, runtime: RuntimeDep
) -> CommitmentRef:
    """The commitment at the path, checked against the user's scope before anything is read."""
    code = scoped_regency(regency_code, user)
    with transaction(runtime.sessions) as session:
        row = reads.get_commitment(session, commitment_id=commitment_id(cycle_id, code))
    return CommitmentRef(cycle_id=cycle_id, regency_code=code, row=row)


def recorded_commitment(ref: Annotated[CommitmentRef, Depends(commitment_ref)]) -> CommitmentRef:
    """A commitment in scope that the database has recorded; 404 otherwise."""
    if ref.row is None:
        raise NotFound(f"no commitment of regency {ref.regency_code} in cycle {ref.cycle_id}")
    return ref


def open_commitment(ref: Annotated[CommitmentRef, Depends(commitment_ref)]) -> CommitmentRef:
    """A commitment in scope that has not ended; 409 if it has."""
    if ref.row is not None and Stage(ref.row.stage).is_terminal:
        raise Conflict(f"commitment {ref.id} has ended ({ref.row.stage})")
    return ref


CommitmentDep = Annotated[CommitmentRef, Depends(recorded_commitment)]
OpenCommitmentDep = Annotated[CommitmentRef, Depends(open_commitment)]


def require_role(user: AuthUser, *roles: Role) -> None:
    """Refuse with 403 unless the user has one of the roles."""
    if user.role not in roles:
        names = ", ".join(r.value for r in roles)
        raise OutOfScope(f"role '{user.role.value}' may not do this; needs {names}")
