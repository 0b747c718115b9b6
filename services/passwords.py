"""Set-password links: invitations to new people, resets by a coordinator or asked for.

A link carries a random token (`secrets`) that is stored only as its SHA-256, works once,
and expires: KOMITMEN_PASSWORD_RESET_MINUTES (30) for a reset, KOMITMEN_INVITATION_HOURS
(72) for an invitation. Setting a password through it revokes every token and page
session of the person and voids their other links. Asking for a link by username or
email always gets the same answer, whether or not the account exists; requests are
throttled per what was typed and per client address (`LoginThrottle`, on keys of their
own). Every change lands in the account's history (`account_event`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from db import models as m
from db import people
from db.session import transaction
from services.errors import LockedOut
from services.mailer import Letter
from services.settings import Settings
from services.signin import LoginThrottle, hash_password

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
INVITE, RESET = "invite", "reset"


def link_lifetime(settings: Settings, purpose: str) -> timedelta:
    """How long a link of this purpose works."""
    if purpose == INVITE:
        return timedelta(hours=settings.invitation_hours)
    return timedelta(minutes=settings.password_reset_minutes)


def issue_link(
    session: Session, settings: Settings, *, user: m.UserAccount, purpose: str, now: datetime
) -> Letter:
    """A new set-password link for the person, as the letter that carries it."""
    lifetime = link_lifetime(settings, purpose)
    token = people.create_password_reset(
        session, user_id=user.id, purpose=purpose, now=now, lifetime=lifetime
    )
    return Letter(
        template="account_link",
        to=user.email,
        language=user.language,
        values={
            "recipient_name": user.full_name,
            "username": user.username,
            "purpose": purpose,
            "link": f"{settings.public_base_url}/password/reset/{token}",
            "expires_at": now + lifetime,
        },
    )


def request_throttle(settings: Settings) -> LoginThrottle:
    """How many links one username or email (and 4x, one address) may ask for in a window."""
    return LoginThrottle(
        max_failures=settings.password_reset_max_requests,
        window=timedelta(minutes=settings.login_window_minutes),
    )


def request_reset(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    identifier: str,
    client: str,
    now: datetime,
) -> Letter | None:
    """A reset link for the active account with this username or email; None if none.

    The caller answers the same either way. LockedOut when what was typed, or the client
    address, has asked too often in the window (whether or not the account exists).
    """
    throttle = request_throttle(settings)
    typed, address = f"reset:{identifier.strip().lower()}", f"reset:{client}"
    keys = throttle.keys(typed, address)
    with transaction(sessions) as session:
        noted = people.note_login_failure(
            session, keys=keys, now=now, forget_before=now - throttle.window
        )
    with transaction(sessions) as session:
        wait = throttle.retry_after(
            session, username=typed, client=address, now=now, excluding=noted
        )
        if wait:
            people.forget_login_failures(session, ids=noted)
            raise LockedOut(wait)
        user = people.find_active_by_login(session, identifier=identifier) if identifier else None
        if user is None:
            return None
        people.record_account_event(
            session,
            actor=user.username,
            action="reset_requested",
            subject=user.username,
            now=now,
            details={"client": client},
        )
        return issue_link(session, settings, user=user, purpose=RESET, now=now)


def reset_by_coordinator(
    session: Session, settings: Settings, *, username: str, actor: str, now: datetime
) -> Letter | None:
    """Sign the person out everywhere, void their password and mail a set-password link.

    None if there is no such active person.
    """
    user = people.get_user(session, username=username)
    if user is None:
        return None
    revoked = people.revoke_user_tokens(session, user_id=user.id, now=now)
    people.clear_password(session, user_id=user.id)
    people.use_password_resets(session, user_id=user.id, now=now)
    people.record_account_event(
        session,
        actor=actor,
        action="password_reset",
        subject=user.username,
        now=now,
        details={"revoked_tokens": revoked},
    )
    return issue_link(session, settings, user=user, purpose=RESET, now=now)


@dataclass(frozen=True)
class LinkHolder:
    """Whom a working link is for, as the set-password page greets them."""

    username: str
    full_name: str
    purpose: str


def link_holder(session: Session, *, token: str, now: datetime) -> LinkHolder | None:
    """The person a link works for now; None for an unknown, used or expired link."""
    found = people.usable_password_reset(session, token=token, now=now)
    if found is None:
        return None
    row, user = found
    return LinkHolder(user.username, user.full_name, row.purpose)


def password_problem(password: str, again: str) -> str | None:
    """Why a new password cannot be taken (a key the page words); None if it can."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "password_short"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "password_long"
    if password != again:
        return "password_mismatch"
    return None


def set_with_link(
    sessions: sessionmaker[Session], *, token: str, password: str, now: datetime
) -> str | None:
    """Set the password through a link, once; the username, None if the link does not work.

    Every token and page session of the person is revoked and their other links voided.
    The password is hashed before the transaction, so no connection waits for argon2.
    """
    hashed = hash_password(password)
    with transaction(sessions) as session:
        found = people.usable_password_reset(session, token=token, now=now)
        if found is None:
            return None
        row, user = found
        people.set_password(session, username=user.username, password_hash=hashed)
        revoked = people.revoke_user_tokens(session, user_id=user.id, now=now)
        people.use_password_resets(session, user_id=user.id, now=now)
        people.record_account_event(
            session,
            actor=user.username,
            action="password_set",
            subject=user.username,
            now=now,
            details={"purpose": row.purpose, "revoked_tokens": revoked},
        )
        return user.username
