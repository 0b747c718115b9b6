"""Logging in and out: API tokens for username and password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import BearerToken, CurrentUser, RuntimeDep, SessionDep, client_address
from api.errors import problem_responses
from domain.plan import Printable
from services import signin
from services.errors import Unauthenticated

router = APIRouter(prefix="/auth", tags=["auth"])


class Login(BaseModel):
    """Credentials exchanged for a token."""

    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, Field(min_length=1, max_length=64), Printable]
    password: str = Field(min_length=1, max_length=1024)
    token_name: Annotated[str, Field(min_length=1, max_length=100), Printable] = "api"


class TokenOut(BaseModel):
    """A new bearer token; its text is shown only this once."""

    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    username: str
    role: str
    regency_code: str | None


class Me(BaseModel):
    """Who the token belongs to."""

    username: str
    full_name: str
    role: str
    regency_code: str | None
    office: str | None
    """The office the person signs for today (by the assignment in force), if any."""
    acting: str
    """How they hold it today: definitive, plt, plh, pj, pjs or an."""


@router.post("/token", status_code=status.HTTP_201_CREATED, responses=problem_responses(429))
def login(body: Login, request: Request, runtime: RuntimeDep) -> TokenOut:
    """Exchange a username and password for a bearer token (valid KOMITMEN_API_TOKEN_DAYS)."""
    now, lifetime = datetime.now(UTC), timedelta(days=runtime.settings.api_token_days)
    credentials = signin.Credentials(body.username, body.password, client_address(request))
    signed_in = signin.sign_in(
        runtime.sessions,
        runtime.throttle,
        credentials,
        token_name=body.token_name,
        lifetime=lifetime,
        now=now,
    )
    if signed_in is None:
        raise Unauthenticated("wrong username or password")
    user, token = signed_in
    return TokenOut(
        access_token=token,
        expires_at=now + lifetime,
        username=user.username,
        role=user.role.value,
        regency_code=user.regency_code,
    )


@router.delete("/token", status_code=status.HTTP_204_NO_CONTENT)
def logout(user: CurrentUser, token: BearerToken, session: SessionDep) -> None:
    """Revoke the token this request carries."""
    signin.sign_out(session, token=token, now=datetime.now(UTC))


@router.get("/me")
def me(user: CurrentUser) -> Me:
    """The user behind the token."""
    return Me(
        username=user.username,
        full_name=user.full_name,
        role=user.role.value,
        regency_code=user.regency_code,
        office=user.office,
        acting=user.acting.value,
    )
