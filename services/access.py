"""Who is asking, and what they may reach: authentication and scope, stated once.

The JSON API (bearer tokens) and the pages (a token in a cookie) both find the
person behind a token here, and both check a regency against their scope here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from db import models as m
from db import offices, people
from domain.calendar import wita_date
from domain.catalog import load_catalog
from domain.offices import offices_held
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
    def of(cls, user: m.UserAccount | people.TokenHolder) -> AuthUser:
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


def user_for_token(
    session: Session, token: str | None, now: datetime | None = None
) -> AuthUser | None:
    """The active person holding an unexpired, unrevoked token; None for anything else.

    A signatory's office and acting status are those they hold on the day of `now` (the
    wall clock unless given; see `signing_office`).
    """
    if not token:
        return None
    user = people.find_user_by_token(session, token=token, now=datetime.now(UTC))
    if user is None:
        return None
    return as_signer(session, AuthUser.of(user), wita_date(now or datetime.now(UTC)))


def as_signer(session: Session, user: AuthUser, on: date) -> AuthUser:
    """The person with the office and acting status they sign with on day `on`."""
    if user.role is not Role.SIGNATORY:
        return user
    office, acting = signing_office(session, user, on)
    return replace(user, office=office, acting=acting)


def signing_office(session: Session, user: AuthUser, on: date) -> tuple[str | None, Acting]:
    """The office a signatory signs for on day `on`, and how: from the assignments in force.

    Once an office of the regency has an assignment on record, only assignments decide
    who signs for it (`domain.offices.in_force`): a person with assignments signs by the
    one in force that day, or not at all; no one signs by their account's office for
    an office that has assignments. An account whose office has none signs for it as
    its record says, as before offices were assigned. A person holding two offices that
    day signs for the first in `Office` order. Never from the request.
    """
    if user.regency_code is None:
        return None, Acting.DEFINITIVE
    recorded = offices.assignments(session, regency_code=user.regency_code)
    if any(a.username == user.username for a in recorded):
        held = offices_held(recorded, user.username, on)
        if not held:
            return None, Acting.DEFINITIVE
        return held[0].office.value, held[0].acting
    if user.office in {a.office.value for a in recorded}:
        return None, Acting.DEFINITIVE
    return user.office, user.acting


def authenticate(session: Session, token: str | None, now: datetime | None = None) -> AuthUser:
    """The person holding the token; Unauthenticated if it is missing, unknown or revoked."""
    user = user_for_token(session, token, now)
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
