"""Password hashing (argon2id), credential checks, and the pages' CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session, sessionmaker

from db import models as m
from db import people
from db.session import transaction

_hasher = PasswordHasher()

# Verified against when the username is unknown, so both failures take as long.
_DUMMY_HASH = _hasher.hash("komitmen-no-such-user")


def hash_password(password: str) -> str:
    """The argon2id hash of a password, with its parameters and salt."""
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether a password matches its stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(session: Session, *, username: str, password: str) -> bool:
    """Hash and store a user's password; False if there is no such active user."""
    return people.set_password(session, username=username, password_hash=hash_password(password))


def authenticate(session: Session, *, username: str, password: str) -> m.UserAccount | None:
    """The active user with these credentials, or None; an outdated hash is upgraded."""
    user = people.get_user(session, username=username)
    if user is None or user.password_hash is None:
        password_matches(_DUMMY_HASH, password)
        return None
    if not password_matches(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


class LockedOut(Exception):
    """Too many failed sign-ins; sign-in may be tried again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginThrottle:
    """How many failed sign-ins a username may have in a window; a client address, 4x as many.

    Failures are counted in the database, so every API process behind a load balancer
    sees the same count. The client address is the TCP peer: behind a reverse proxy
    every client shares the proxy's address, so its limit is the looser one.
    """

    max_failures: int
    window: timedelta

    def keys(self, username: str, client: str) -> tuple[str, str]:
        """The counters a sign-in attempt belongs to: its username and its client address."""
        return f"user:{username.strip().lower()}", f"addr:{client}"

    def retry_after(self, session: Session, *, username: str, client: str, now: datetime) -> int:
        """Seconds until a sign-in may be tried again; 0 if it may be tried now."""
        wait = timedelta(0)
        user_key, client_key = self.keys(username, client)
        for key, limit in ((user_key, self.max_failures), (client_key, 4 * self.max_failures)):
            failures = people.recent_login_failures(session, keys=[key], since=now - self.window)
            if len(failures) >= limit:
                # Allowed again once enough of these failures have left the window.
                wait = max(wait, failures[len(failures) - limit] + self.window - now)
        return max(int(wait.total_seconds()) + 1, 1) if wait > timedelta(0) else 0


def sign_in(
    sessions: sessionmaker[Session],
    throttle: LoginThrottle,
    *,
    username: str,
    password: str,
    client: str,
    now: datetime,
) -> m.UserAccount | None:
    """Check credentials under the throttle; a failure is recorded even though the caller fails.

    Raises LockedOut before looking at the password when the username or the client
    address has failed too often, so a locked account gives nothing away.
    """
    with transaction(sessions) as session:
        wait = throttle.retry_after(session, username=username, client=client, now=now)
        if wait:
            raise LockedOut(wait)
        user = authenticate(session, username=username, password=password)
        keys = throttle.keys(username, client)
        if user is None:
            people.note_login_failure(
                session, keys=keys, now=now, forget_before=now - throttle.window
            )
        else:
            people.clear_login_failures(session, key=keys[0])
        return user


def csrf_token(session_token: str) -> str:
    """The CSRF token of a page session: an HMAC keyed by the session's own secret.

    The session token lives only in an HttpOnly cookie, so another site can neither
    read it nor compute this value, and no server-side state is needed.
    """
    return hmac.new(session_token.encode(), b"komitmen-csrf", hashlib.sha256).hexdigest()


def new_login_nonce() -> str:
    """A random value for the sign-in form, sent both as a cookie and as a field."""
    return secrets.token_urlsafe(24)


def same_secret(expected: str | None, submitted: str | None) -> bool:
    """Whether a submitted form secret matches the expected one, in constant time."""
    return bool(expected and submitted) and hmac.compare_digest(
        str(expected).encode(), str(submitted).encode()
    )
