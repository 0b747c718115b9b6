"""Who is asking, and what they may reach: authentication and scope, stated once.

The JSON API (bearer tokens) and the pages (a token in a cookie) both find the
person behind a token here, and both check a regency against their scope here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from db import models as m
from db import people
from domain.catalog import load_catalog
from domain.refusals import RefusalCode as R
from domain.roles import Acting, Actor, Role, covers
from services.errors import OutOfScope, Unauthenticated


@dataclass(frozen=True)
class AuthUser:
    """The authenticated person, detached from any session."""

    id: int
    username: str
    full_name: str
    role: Role
    regency_code: str | None
    office: str | None
    acting: Acting
    nip: str | None
    tasks_seen_at: datetime | None = None
    """When the person last opened their task list (`services.tasks`)."""
    language: str = "id"
    """The language on the person's record: their mail's, and their pages' until they
    choose another on a page."""

    @classmethod
    def of(cls, user: m.UserAccount) -> AuthUser:
        """Copy what the front doors need of a user account."""
        return cls(
            id=user.id,
            username=user.username,
            full_name=user.full_name,
            role=Role(user.role),
            regency_code=user.regency_code,
            office=user.office,
            acting=Acting(user.acting),
            nip=user.nip,
            language=user.language,
            tasks_seen_at=user.tasks_seen_at,
        )

    def actor(self, acting: Acting | None = None) -> Actor:
        """The actor recorded for this person's actions."""
        return Actor(
            name=self.full_name,
            role=self.role,
            regency_code=self.regency_code,
            office=self.office,
            acting=acting or self.acting,
            nip=self.nip,
            username=self.username,
        )

    def covers(self, regency_code: str) -> bool:
        """Whether this person may see and act for the regency (the domain's scope rule)."""
        return covers(self.role, self.regency_code, regency_code)


def user_for_token(session: Session, token: str | None) -> AuthUser | None:
    """The active person holding an unexpired, unrevoked token; None for anything else."""
    if not token:
        return None
    user = people.find_user_by_token(session, token=token, now=datetime.now(UTC))
    return AuthUser.of(user) if user is not None else None


def authenticate(session: Session, token: str | None) -> AuthUser:
    """The person holding the token; Unauthenticated if it is missing, unknown or revoked."""
    user = user_for_token(session, token)
    if user is None:
        raise Unauthenticated("the token is unknown or revoked")
    return user


def scoped_regency(regency_code: str, user: AuthUser) -> str:
    """The Kemendagri code of a regency the person covers.

    UnknownRegency for a code the catalog lacks, OutOfScope for another regency.
    """
    code = load_catalog().get(regency_code).kemendagri_code
    if not user.covers(code):
        raise OutOfScope.coded(
            R.OUTSIDE_SCOPE, name=user.username, role=user.role.value, own=str(user.regency_code)
        )
    return code


def require_role(user: AuthUser, *roles: Role) -> None:
    """Refuse with OutOfScope unless the person has one of the roles."""
    if user.role not in roles:
        names = ", ".join(r.value for r in roles)
        raise OutOfScope.coded(R.ROLE_NOT_ALLOWED, role=user.role.value, roles=names)
