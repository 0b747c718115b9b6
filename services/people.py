"""The directory of people who act: listing, finding, adding and deactivating them.

Coordinators are the administrators: there is no separate administrator role. On the
pages a coordinator lists and finds people, adds one (`check_person`, `add_people`) or
many (`services.people_import`), resets a password and deactivates an account; the CLI
(`komitmen users`) does the same on the server. Passwords are set through
`services.signin.set_password` or a set-password link (`services.passwords`). Every
change made here or there is appended to the account's history (`account_event`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from db import models as m
from db import people
from domain.calendar import wita_date
from domain.catalog import Office, load_catalog
from domain.errors import UnknownRegency
from domain.nip import NipRefused, find_pangkat, parse_nip
from domain.roles import Actor, Role, party_allowed
from services.access import AuthUser, as_signer
from services.errors import Conflict, NotFound
from services.mailer import Letter
from services.passwords import INVITE, issue_link
from services.settings import Settings
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
    pangkat: str | None = None,
    jabatan: str | None = None,
    recorded_by: str | None = None,
) -> AuthUser:
    """Add a person who acts as `person` (validated as an actor); Conflict if the name is taken.

    With `password_hash` (from `services.signin.hash_password`) the person can sign in.
    With `recorded_by` (who added them, on the command line) the addition is appended to
    the account's history; the people desk appends its own, naming the form or the file.
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
        pangkat=pangkat,
        jabatan=jabatan,
    )
    account.password_hash = password_hash
    if recorded_by is not None:
        people.record_account_event(
            session,
            actor=recorded_by,
            action="added",
            subject=username,
            now=now,
            details={
                "via": "command line",
                "role": person.role.value,
                "regency_code": person.regency_code,
                "office": person.office,
            },
        )
    return AuthUser.of(account)


def deactivate_person(session: Session, *, username: str, actor: str, now: datetime) -> int | None:
    """Deactivate a person: no sign-in from now on, every token and page session revoked.

    Returns how many tokens were revoked; None if there is no such active person. The
    account stays, for the record (names in the audit trail, mail already sent); the
    deactivation is appended to its history (`account_event`) with `actor`, and logged.
    """
    revoked = revoke_all_tokens(session, username=username, actor=actor, now=now)
    if revoked is None:
        return None
    people.deactivate_user(session, username=username)
    people.record_account_event(
        session,
        actor=actor,
        action="deactivated",
        subject=username,
        now=now,
        details={"revoked_tokens": revoked},
    )
    log.info("%s deactivated by %s", username, actor)
    return revoked


# --- the people desk -------------------------------------------------------------------

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANGUAGES = ("id", "en")
PERSON_FIELDS = (
    "full_name",
    "username",
    "nip",
    "pangkat",
    "jabatan",
    "role",
    "office",
    "regency",
    "email",
    "language",
)
"""The fields of a new person, as the form and the import file name them."""
REQUIRED = ("full_name", "username", "role", "email")
LIMITS = {"full_name": 200, "jabatan": 200, "email": 320}


@dataclass(frozen=True)
class NewPerson:
    """A person to add, checked: every value as it will be stored."""

    username: str
    full_name: str
    nip: str | None
    pangkat: str | None
    jabatan: str | None
    role: Role
    office: str | None
    regency_code: str | None
    email: str
    language: str


def check_person(fields: Mapping[str, str], today: date) -> NewPerson | dict[str, str]:
    """The person the fields describe, or what is wrong: field name -> error key.

    Keys: required, too_long, username_format, email_format, nip_* (`domain.nip`),
    pangkat_unknown, role_unknown, office_required, office_unknown, office_not_for_role,
    regency_required, regency_unknown, regency_not_for_role, language_unknown. Whether
    the username or email is taken is `taken_errors`'s to say.
    """
    values = {name: " ".join(str(fields.get(name) or "").split()) for name in PERSON_FIELDS}
    errors: dict[str, str] = {}
    for name in REQUIRED:
        if not values[name]:
            errors[name] = "required"
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            errors[name] = "too_long"
    username = values["username"].lower()
    if username and not USERNAME.fullmatch(username):
        errors["username"] = "username_format"
    email = values["email"]
    if email and "email" not in errors and not EMAIL.fullmatch(email):
        errors["email"] = "email_format"
    nip = None
    if values["nip"]:
        try:
            nip = parse_nip(values["nip"], today).digits
        except NipRefused as refused:
            errors["nip"] = refused.key
    pangkat = None
    if values["pangkat"]:
        rung = find_pangkat(values["pangkat"])
        if rung is None:
            errors["pangkat"] = "pangkat_unknown"
        else:
            pangkat = rung.label
    role: Role | None = None
    if values["role"]:
        try:
            role = Role(values["role"].lower())
        except ValueError:
            errors["role"] = "role_unknown"
    office = values["office"].lower() or None
    if office is not None and office not in {o.value for o in Office}:
        errors["office"] = "office_unknown"
    elif role is Role.SIGNATORY and office is None:
        errors["office"] = "office_required"
    elif role is not None and role is not Role.SIGNATORY and office is not None:
        errors["office"] = "office_not_for_role"
    regency_code = None
    if values["regency"]:
        try:
            regency_code = load_catalog().get(values["regency"]).kemendagri_code
        except UnknownRegency:
            errors["regency"] = "regency_unknown"
    if role is not None and "regency" not in errors and not party_allowed(role, regency_code):
        if role.is_regency_role:
            errors["regency"] = "regency_required"
        else:
            errors["regency"] = "regency_not_for_role"
    language = values["language"].lower() or "id"
    if language not in LANGUAGES:
        errors["language"] = "language_unknown"
    if errors or role is None:
        return errors
    return NewPerson(
        username=username,
        full_name=values["full_name"],
        nip=nip,
        pangkat=pangkat,
        jabatan=values["jabatan"] or None,
        role=role,
        office=office,
        regency_code=regency_code,
        email=email,
        language=language,
    )


def taken_errors(session: Session, person: NewPerson) -> dict[str, str]:
    """username_taken / email_taken where an account already has them."""
    errors = {}
    if people.taken_usernames(session, usernames=[person.username]):
        errors["username"] = "username_taken"
    if people.taken_emails(session, emails=[person.email]):
        errors["email"] = "email_taken"
    return errors


def add_people(
    session: Session,
    settings: Settings,
    checked: Sequence[NewPerson],
    *,
    actor: str,
    via: str,
    now: datetime,
) -> list[Letter]:
    """Add checked people, each invited by a set-password link; the invitations to mail.

    Each addition is appended to the account's history with `actor` and `via` ("form" or
    "import"). Conflict if a username is taken meanwhile (nothing is added then).
    """
    letters = []
    for person in checked:
        actor_model = Actor(
            name=person.full_name,
            role=person.role,
            regency_code=person.regency_code,
            office=person.office,
            nip=person.nip,
        )
        add_person(
            session,
            username=person.username,
            person=actor_model,
            email=person.email,
            language=person.language,
            now=now,
            pangkat=person.pangkat,
            jabatan=person.jabatan,
        )
        account = people.get_user(session, username=person.username)
        assert account is not None
        people.record_account_event(
            session,
            actor=actor,
            action="added",
            subject=person.username,
            now=now,
            details={
                "via": via,
                "role": person.role.value,
                "regency_code": person.regency_code,
                "office": person.office,
            },
        )
        letters.append(issue_link(session, settings, user=account, purpose=INVITE, now=now))
    return letters


def search_people(session: Session, text: str) -> Sequence[m.UserAccount]:
    """Accounts (active or not) by name, username, NIP, email or regency (name or code)."""
    wanted = text.strip()
    codes: list[str] = []
    if wanted:
        lowered = wanted.lower()
        for regency in load_catalog().regencies:
            if lowered in regency.name.lower() or lowered in (
                regency.kemendagri_code,
                regency.bps_code,
            ):
                codes.append(regency.kemendagri_code)
    return people.search_accounts(session, text=wanted, regency_codes=codes)


def account(session: Session, username: str) -> m.UserAccount:
    """The account with this username, active or not; NotFound if none."""
    found = people.get_account(session, username=username)
    if found is None:
        raise NotFound(f"unknown user {username!r}")
    return found


def history(session: Session, username: str) -> list[dict[str, Any]]:
    """The account's history, newest first, as rows for a page."""
    return [
        {
            "occurred_at": e.occurred_at,
            "actor": e.actor,
            "action": e.action,
            "details": e.details,
        }
        for e in people.account_events(session, subject=username)
    ]
