"""People, their API tokens and sign-in throttling: keyword-only functions over user accounts.

Accounts are created and looked up here (`add_user`, `get_user`, `list_users`, and the
`recipients` of a reminder's audience); passwords are stored as hashes made by the caller;
tokens are stored only as their SHA-256 digest, may expire, and note their use to the
minute (`TOKEN_USE_PRECISION`), and are revoked one by one or all of a person's at once
(`revoke_user_tokens`, as a password reset and `deactivate_user` do); failed sign-ins are
counted per key to slow down guessing, each attempt noted before its password is checked.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from db import models as m
from db import offices as office_records
from domain.calendar import wita_date
from domain.catalog import Office, is_province_code
from domain.commitment import Audience
from domain.offices import in_force


def add_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    email: str,
    role: str,
    regency_code: str | None,
    office: str | None,
    acting: str = "definitive",
    nip: str | None = None,
    language: str = "id",
    now: datetime,
    pangkat: str | None = None,
    jabatan: str | None = None,
) -> m.UserAccount:
    """Create a user account."""
    user = m.UserAccount(
        username=username,
        full_name=full_name,
        email=email,
        role=role,
        regency_code=regency_code,
        office=office,
        acting=acting,
        nip=nip,
        language=language,
        active=True,
        created_at=now,
        pangkat=pangkat,
        jabatan=jabatan,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, *, username: str) -> m.UserAccount | None:
    """The active user with this username, if any."""
    return session.scalar(
        select(m.UserAccount).where(
            m.UserAccount.username == username, m.UserAccount.active.is_(True)
        )
    )


def find_user(session: Session, *, username: str) -> m.UserAccount | None:
    """The user with this username, active or not (for the record of what they did)."""
    return session.scalar(select(m.UserAccount).where(m.UserAccount.username == username))


def list_users(session: Session, *, regency_code: str | None = None) -> Sequence[m.UserAccount]:
    """Active users, optionally only those of one regency."""
    query = select(m.UserAccount).where(m.UserAccount.active.is_(True))
    if regency_code is not None:
        query = query.where(m.UserAccount.regency_code == regency_code)
    return session.scalars(query.order_by(m.UserAccount.regency_code, m.UserAccount.username)).all()


def recipients(
    session: Session,
    *,
    audience: Audience,
    regency_code: str,
    offices: Sequence[str] = (),
    on: date | None = None,
) -> Sequence[m.UserAccount]:
    """The people of an audience for one regency's commitment.

    Signatories (and the regency's head, the BPBD head) are whoever holds or acts for
    the office on day `on` (WITA; today if None), as `services.access.signing_office`
    lets them sign.
    """
    query = select(m.UserAccount).where(m.UserAccount.active.is_(True))
    regency = m.UserAccount.regency_code == regency_code
    match audience:
        case Audience.REGENCY_OFFICER:
            query = query.where(m.UserAccount.role == "regency_officer", regency)
        case Audience.SIGNATORY:
            return office_holders(session, regency_code=regency_code, offices=offices, on=on)
        case Audience.REGENCY_HEAD:
            return office_holders(
                session, regency_code=regency_code, offices=[Office.BPBD_HEAD.value], on=on
            )
        case Audience.REVIEWER:
            # The reviewer rule (`domain.roles.reviews`): a party's own reviewers, and
            # for a regency BPBD Provinsi's reviewers (bound to no party) too.
            own = (
                regency
                if is_province_code(regency_code)
                else or_(regency, m.UserAccount.regency_code.is_(None))
            )
            query = query.where(m.UserAccount.role == "reviewer", own)
        case Audience.MANAGER:
            query = query.where(m.UserAccount.role == "manager")
        case Audience.COORDINATOR:
            query = query.where(m.UserAccount.role == "coordinator")
    return session.scalars(query.order_by(m.UserAccount.id)).all()


def office_holders(
    session: Session, *, regency_code: str, offices: Sequence[str], on: date | None = None
) -> list[m.UserAccount]:
    """The active signatories who sign for `offices` of a regency on day `on`.

    An office with assignments on record is held by the one in force that day (none in
    a gap); an office without any by the signatories whose account names it.
    """
    day = on or wita_date(datetime.now(UTC))
    recorded = office_records.assignments(session, regency_code=regency_code, offices=offices)
    assigned = {a.office.value for a in recorded}
    usernames = set()
    for office in offices:
        if office in assigned:
            signer = in_force(recorded, Office(office), day)
            if signer is not None:
                usernames.add(signer.username)
    query = select(m.UserAccount).where(
        m.UserAccount.active.is_(True),
        m.UserAccount.role == "signatory",
        m.UserAccount.regency_code == regency_code,
    )
    legacy = [o for o in offices if o not in assigned]
    found = [
        user
        for user in session.scalars(query.order_by(m.UserAccount.id))
        if user.username in usernames
        or (user.office in legacy and not office_records.has_assignments(session, user_id=user.id))
    ]
    return found


def set_password(session: Session, *, username: str, password_hash: str) -> bool:
    """Store a user's password hash (hashed by the caller); False if no such active user.

    The user's tokens stay valid: `services.signin.set_password` revokes them.
    """
    return _change_active_user(session, username, password_hash=password_hash) is not None


def _change_active_user(session: Session, username: str, **changes: Any) -> m.UserAccount | None:
    """Set columns of an active user and flush; None if there is no such active user."""
    user = get_user(session, username=username)
    if user is None:
        return None
    for column, value in changes.items():
        setattr(user, column, value)
    session.flush()
    return user


def get_active_user_by_id(session: Session, *, user_id: int) -> m.UserAccount | None:
    """The user with this id if still active."""
    user = session.get(m.UserAccount, user_id)
    return user if user is not None and user.active else None


def deactivate_user(session: Session, *, username: str) -> m.UserAccount | None:
    """Mark an active user inactive (kept for the record, never signs in again); None if none.

    Their tokens stay in the table, unusable, since a token's user must be active;
    revoke them too with `revoke_user_tokens`.
    """
    return _change_active_user(session, username, active=False)


def note_tasks_seen(session: Session, *, user_id: int, at: datetime) -> None:
    """Record that the person opened their task list at `at`."""
    session.execute(
        update(m.UserAccount).where(m.UserAccount.id == user_id).values(tasks_seen_at=at)
    )


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, *, user_id: int, name: str, now: datetime, lifetime: timedelta | None = None
) -> str:
    """Issue a token valid for `lifetime` (None: until revoked); its text is shown only once."""
    token = secrets.token_urlsafe(32)
    session.add(
        m.ApiToken(
            user_id=user_id,
            token_hash=token_digest(token),
            name=name,
            created_at=now,
            revoked_at=None,
            last_used_at=None,
            expires_at=now + lifetime if lifetime is not None else None,
        )
    )
    session.flush()
    return token


TOKEN_USE_PRECISION = timedelta(minutes=1)
"""How stale a token's `last_used_at` may be."""


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """What a signed-in request needs of the user holding its token, as plain columns."""

    id: int
    username: str
    full_name: str
    role: str
    regency_code: str | None
    office: str | None
    acting: str
    nip: str | None
    language: str
    tasks_seen_at: datetime | None


_tokens = cast(Table, m.ApiToken.__table__)
_users = cast(Table, m.UserAccount.__table__)
_token = _tokens.c
_user = _users.c
# Every signed-in request asks this first, so the statement is built once, in Core:
# plain rows instead of two ORM objects tracked by the session, and no expression to
# build and no cache key to compute per request.
_FIND_TOKEN = (
    select(
        _token.id,
        _token.expires_at,
        _token.last_used_at,
        _user.active,
        _user.id,
        _user.username,
        _user.full_name,
        _user.role,
        _user.regency_code,
        _user.office,
        _user.acting,
        _user.nip,
        _user.language,
        _user.tasks_seen_at,
    )
    .join_from(_tokens, _users, _user.id == _token.user_id)
    .where(_token.token_hash == bindparam("digest"), _token.revoked_at.is_(None))
)


def find_user_by_token(session: Session, *, token: str, now: datetime) -> TokenHolder | None:
    """The active user holding this unrevoked, unexpired token, noting its use; None otherwise."""
    # The token and its user in one query.
    found = session.execute(_FIND_TOKEN, {"digest": token_digest(token)}).first()
    if found is None:
        return None
    token_id, expires_at, last_used_at, active, *user = found
    if expires_at is not None and expires_at <= now:
        return None
    if not active:
        return None
    # Noted to the minute: a write on every request would make each read a transaction
    # that commits (and on SQLite, takes the database's only write lock). Through the ORM,
    # so that the write waits for the session's flush as before: written at once, it would
    # hold SQLite's write lock for the rest of a page request whose route writes in a
    # transaction of its own.
    if last_used_at is None or now - last_used_at >= TOKEN_USE_PRECISION:
        row = session.get(m.ApiToken, token_id)
        if row is not None:
            row.last_used_at = now
    return TokenHolder(*user)


def revoke_token(session: Session, *, token: str, now: datetime) -> bool:
    """Revoke a token; False if it was unknown or revoked already."""
    row = session.scalar(
        select(m.ApiToken).where(
            m.ApiToken.token_hash == token_digest(token), m.ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return False
    row.revoked_at = now
    return True


def revoke_user_tokens(session: Session, *, user_id: int, now: datetime) -> int:
    """Revoke every active token of a user (API tokens and page sessions); how many."""
    revoked = session.execute(
        update(m.ApiToken)
        .where(m.ApiToken.user_id == user_id, m.ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(revoked, "rowcount", 0) or 0)


def recent_login_failures(
    session: Session, *, keys: Sequence[str], since: datetime, excluding: Sequence[int] = ()
) -> list[datetime]:
    """When each failed sign-in under any of the keys happened since `since`, oldest first.

    Attempts still being checked count too (`note_login_failure` notes them first);
    `excluding` leaves out rows by id, an attempt's own.
    """
    query = select(m.LoginFailure.failed_at).where(
        m.LoginFailure.key.in_(keys), m.LoginFailure.failed_at > since
    )
    if excluding:
        query = query.where(m.LoginFailure.id.not_in(excluding))
    return list(session.scalars(query.order_by(m.LoginFailure.failed_at)))


def note_login_failure(
    session: Session, *, keys: Sequence[str], now: datetime, forget_before: datetime
) -> list[int]:
    """Count a failed sign-in under each key, and forget failures too old to matter.

    Returns the new rows' ids: a sign-in notes its attempt as a failure before checking
    the password (committed, so attempts in parallel see each other) and takes the note
    back with `forget_login_failures` if it turns out not to be one.
    """
    session.execute(delete(m.LoginFailure).where(m.LoginFailure.failed_at <= forget_before))
    rows = [m.LoginFailure(key=key, failed_at=now) for key in keys]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def forget_login_failures(session: Session, *, ids: Sequence[int]) -> None:
    """Take back noted failures by id (an attempt that was locked out or succeeded)."""
    if ids:
        session.execute(delete(m.LoginFailure).where(m.LoginFailure.id.in_(ids)))


def clear_login_failures(session: Session, *, key: str) -> None:
    """Forget the failed sign-ins under a key (after a successful one)."""
    session.execute(delete(m.LoginFailure).where(m.LoginFailure.key == key))


# --- the people desk: finding accounts, their history, set-password links -------------


def get_account(session: Session, *, username: str) -> m.UserAccount | None:
    """The account with this username, active or not."""
    return session.scalar(select(m.UserAccount).where(m.UserAccount.username == username))


def find_active_by_login(session: Session, *, identifier: str) -> m.UserAccount | None:
    """The active account whose username or email (either case) is `identifier`, if exactly one."""
    wanted = identifier.strip().lower()
    found = session.scalars(
        select(m.UserAccount)
        .where(
            m.UserAccount.active.is_(True),
            or_(
                func.lower(m.UserAccount.username) == wanted,
                func.lower(m.UserAccount.email) == wanted,
            ),
        )
        .limit(2)
    ).all()
    return found[0] if len(found) == 1 else None


def taken_usernames(session: Session, *, usernames: Sequence[str]) -> set[str]:
    """Which of the usernames (lowercase) an account, active or not, already has."""
    wanted = {u.lower() for u in usernames}
    if not wanted:
        return set()
    query = select(func.lower(m.UserAccount.username)).where(
        func.lower(m.UserAccount.username).in_(wanted)
    )
    return set(session.scalars(query))


def taken_emails(session: Session, *, emails: Sequence[str]) -> set[str]:
    """Which of the emails (lowercase) an active account already has."""
    wanted = {e.lower() for e in emails}
    if not wanted:
        return set()
    query = select(func.lower(m.UserAccount.email)).where(
        m.UserAccount.active.is_(True), func.lower(m.UserAccount.email).in_(wanted)
    )
    return set(session.scalars(query))


def search_accounts(
    session: Session, *, text: str = "", regency_codes: Sequence[str] = (), limit: int = 500
) -> Sequence[m.UserAccount]:
    """Accounts, active or not, whose name, username, NIP or email holds `text`, or whose
    regency is one of `regency_codes`; all of them when both are empty. By regency, then
    username."""
    query = select(m.UserAccount)
    wanted = text.strip().lower()
    if wanted or regency_codes:
        like = f"%{wanted.replace(' ', '')}%" if wanted.replace(" ", "").isdigit() else None
        matches = []
        if wanted:
            pattern = f"%{wanted}%"
            matches += [
                func.lower(m.UserAccount.full_name).like(pattern),
                func.lower(m.UserAccount.username).like(pattern),
                func.lower(m.UserAccount.email).like(pattern),
            ]
        if like is not None:
            matches.append(m.UserAccount.nip.like(like))
        if regency_codes:
            matches.append(m.UserAccount.regency_code.in_(list(regency_codes)))
        query = query.where(or_(*matches))
    order = (m.UserAccount.regency_code, m.UserAccount.username)
    return session.scalars(query.order_by(*order).limit(limit)).all()


def record_account_event(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one event to an account's history (never changed afterwards)."""
    session.add(
        m.AccountEvent(
            occurred_at=now, actor=actor, action=action, subject=subject, details=details or {}
        )
    )
    session.flush()


def account_events(session: Session, *, subject: str) -> Sequence[m.AccountEvent]:
    """An account's history, newest first."""
    query = select(m.AccountEvent).where(m.AccountEvent.subject == subject)
    return session.scalars(
        query.order_by(m.AccountEvent.occurred_at.desc(), m.AccountEvent.id.desc())
    ).all()


def create_password_reset(
    session: Session, *, user_id: int, purpose: str, now: datetime, lifetime: timedelta
) -> str:
    """Issue a single-use set-password token (its text is returned once, its digest kept)."""
    token = secrets.token_urlsafe(32)
    session.add(
        m.PasswordReset(
            token_digest=token_digest(token),
            user_id=user_id,
            purpose=purpose,
            created_at=now,
            expires_at=now + lifetime,
            used_at=None,
        )
    )
    session.flush()
    return token


def usable_password_reset(
    session: Session, *, token: str, now: datetime
) -> tuple[m.PasswordReset, m.UserAccount] | None:
    """The unused, unexpired link of this token and its active account; None otherwise."""
    row = session.scalar(
        select(m.PasswordReset).where(m.PasswordReset.token_digest == token_digest(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    user = get_active_user_by_id(session, user_id=row.user_id)
    return (row, user) if user is not None else None


def use_password_resets(session: Session, *, user_id: int, now: datetime) -> int:
    """Mark every unused set-password link of a person used (one was, the rest are void)."""
    used = session.execute(
        update(m.PasswordReset)
        .where(m.PasswordReset.user_id == user_id, m.PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(used, "rowcount", 0) or 0)


def clear_password(session: Session, *, user_id: int) -> None:
    """Forget a person's password hash: they sign in again only after setting a new one."""
    session.execute(
        update(m.UserAccount).where(m.UserAccount.id == user_id).values(password_hash=None)
    )
