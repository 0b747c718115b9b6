"""The directory of people who act: listing, finding, adding and deactivating them.

Passwords are set through `services.signin.set_password` (an argon2id hash).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from db import models as m
from db import people
from domain.calendar import wita_date
from domain.roles import Actor
from services.access import AuthUser, as_signer
from services.errors import Conflict, NotFound
from services.signin import revoke_all_tokens

log = logging.getLogger(__name__)


def list_people(session: Session, regency_code: str | None = None) -> Sequence[m.UserAccount]:
    """Active people by regency and username, optionally only those of one regency."""
    return people.list_users(session, regency_code=regency_code)


def find_person(session: Session, username: str) -> AuthUser | None:
    """The active person with this username; None if there is none.

    A signatory comes with the office and acting status they hold today (WITA), as
    `services.access.signing_office` resolves them from the assignments in force.
    """
    user = people.get_user(session, username=username)
    if user is None:
        return None
    return as_signer(session, AuthUser.of(user), wita_date(datetime.now(UTC)))


def get_person(session: Session, username: str) -> AuthUser:
    """The active person with this username; NotFound if there is none."""
    user = find_person(session, username)
    if user is None:
        raise NotFound(f"unknown user {username!r}")
    return user


def add_person(
    session: Session,
    *,
    username: str,
    person: Actor,
    email: str,
    language: str = "id",
    now: datetime,
    password_hash: str | None = None,
) -> AuthUser:
    """Add a person who acts as `person` (validated as an actor); Conflict if the name is taken.

    With `password_hash` (from `services.signin.hash_password`) the person can sign in.
    """
    if people.get_user(session, username=username) is not None:
        raise Conflict(f"user {username!r} exists already")
    account = people.add_user(
        session,
        username=username,
        full_name=person.name,
        email=email,
        role=person.role.value,
        regency_code=person.regency_code,
        office=person.office,
        acting=person.acting.value,
        nip=person.nip,
        language=language,
        now=now,
    )
    account.password_hash = password_hash
    return AuthUser.of(account)


def deactivate_person(session: Session, *, username: str, actor: str, now: datetime) -> int | None:
    """Deactivate a person: no sign-in from now on, every token and page session revoked.

    Returns how many tokens were revoked; None if there is no such active person. The
    account stays, for the record (names in the audit trail, mail already sent). There
    is no audit table for people (the audit trail is per cycle, hash-chained), so the
    deactivation is logged, with `actor`, on this module's logger at INFO.
    """
    revoked = revoke_all_tokens(session, username=username, actor=actor, now=now)
    if revoked is None:
        return None
    people.deactivate_user(session, username=username)
    log.info("%s deactivated by %s", username, actor)
    return revoked
