"""People, their API tokens and sign-in throttling: keyword-only functions over user accounts.

Accounts are created and looked up here (`add_user`, `get_user`, `list_users`, and the
`recipients` of a reminder's audience); passwords are stored as hashes made by the caller;
tokens are stored only as their SHA-256 digest, may expire, and note their use to the
minute (`TOKEN_USE_PRECISION`); failed sign-ins are counted per key to slow down guessing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db import models as m
from domain.commitment import Audience


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


def list_users(session: Session, *, regency_code: str | None = None) -> Sequence[m.UserAccount]:
    """Active users, optionally only those of one regency."""
    query = select(m.UserAccount).where(m.UserAccount.active.is_(True))
    if regency_code is not None:
        query = query.where(m.UserAccount.regency_code == regency_code)
    return session.scalars(query.order_by(m.UserAccount.regency_code, m.UserAccount.username)).all()


def recipients(
    session: Session, *, audience: Audience, regency_code: str, offices: Sequence[str] = ()
) -> Sequence[m.UserAccount]:
    """The people of an audience for one regency's commitment."""
    query = select(m.UserAccount).where(m.UserAccount.active.is_(True))
    regency = m.UserAccount.regency_code == regency_code
    match audience:
        case Audience.REGENCY_OFFICER:
            query = query.where(m.UserAccount.role == "regency_officer", regency)
        case Audience.SIGNATORY:
            query = query.where(
                m.UserAccount.role == "signatory", regency, m.UserAccount.office.in_(offices)
            )
        case Audience.REGENCY_HEAD:
            query = query.where(
                m.UserAccount.role == "signatory", regency, m.UserAccount.office == "bpbd_head"
            )
        case Audience.REVIEWER:
            query = query.where(m.UserAccount.role == "reviewer")
        case Audience.MANAGER:
            query = query.where(m.UserAccount.role == "manager")
    return session.scalars(query.order_by(m.UserAccount.id)).all()


def set_password(session: Session, *, username: str, password_hash: str) -> bool:
    """Store a user's password hash (hashed by the caller); False if no such active user."""
    user = get_user(session, username=username)
    if user is None:
        return False
    user.password_hash = password_hash
    session.flush()
    return True


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


def find_user_by_token(session: Session, *, token: str, now: datetime) -> m.UserAccount | None:
    """The active user holding this unrevoked, unexpired token, noting its use; None otherwise."""
    row = session.scalar(
        select(m.ApiToken).where(
            m.ApiToken.token_hash == token_digest(token), m.ApiToken.revoked_at.is_(None)
        )
    )
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    user = session.get(m.UserAccount, row.user_id)
    if user is None or not user.active:
        return None
    # Noted to the minute: a write on every request would make each read a transaction
    # that commits (and on SQLite, takes the database's only write lock).
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_PRECISION:
        row.last_used_at = now
    return user


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


def recent_login_failures(
    session: Session, *, keys: Sequence[str], since: datetime
) -> list[datetime]:
    """When each failed sign-in under any of the keys happened since `since`, oldest first."""
    return list(
        session.scalars(
            select(m.LoginFailure.failed_at)
            .where(m.LoginFailure.key.in_(keys), m.LoginFailure.failed_at > since)
            .order_by(m.LoginFailure.failed_at)
        )
    )


def note_login_failure(
    session: Session, *, keys: Sequence[str], now: datetime, forget_before: datetime
) -> None:
    """Count a failed sign-in under each key, and forget failures too old to matter."""
    session.execute(delete(m.LoginFailure).where(m.LoginFailure.failed_at <= forget_before))
    session.add_all(m.LoginFailure(key=key, failed_at=now) for key in keys)
    session.flush()


def clear_login_failures(session: Session, *, key: str) -> None:
    """Forget the failed sign-ins under a key (after a successful one)."""
    session.execute(delete(m.LoginFailure).where(m.LoginFailure.key == key))
