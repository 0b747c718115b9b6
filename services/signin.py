"""Signing in: passwords (argon2id), the sign-in throttle, and the tokens it hands out.

The JSON API hands a token to the client; the pages keep it in an HttpOnly cookie.
Both sign in here, so both are throttled alike.

Each argon2id hash or check takes 64 MiB while it runs. However many sign-ins arrive
at once, at most KOMITMEN_MAX_CONCURRENT_PASSWORD_CHECKS of them run together in a
process (`password_checks`); the others wait their turn, outside any transaction.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session, sessionmaker

from db import models as m
from db import people
from db.session import transaction
from services.access import AuthUser
from services.errors import LockedOut
from services.settings import get_settings

log = logging.getLogger(__name__)

_hasher = PasswordHasher()

# Verified against when the username is unknown, so both failures take as long.
_DUMMY_HASH = _hasher.hash("komitmen-no-such-user")


@cache
def password_checks() -> threading.BoundedSemaphore:
    """The process-wide gate around argon2: KOMITMEN_MAX_CONCURRENT_PASSWORD_CHECKS at once.

    Sized from the process's settings (`get_settings`) on first use.
    """
    return threading.BoundedSemaphore(get_settings().max_concurrent_password_checks)


def hash_password(password: str) -> str:
    """The argon2id hash of a password, with its parameters and salt."""
    with password_checks():
        return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether a password matches its stored hash."""
    with password_checks():
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def set_password(
    session: Session,
    *,
    username: str,
    password: str,
    actor: str = "unknown",
    now: datetime | None = None,
) -> bool:
    """Hash and store a person's password and revoke all their tokens and page sessions.

    False if there is no such active person. The change is appended to the account's
    history (`account_event`) with `actor`, and logged on this module's logger at INFO.
    """
    hashed = hash_password(password)
    user = people.get_user(session, username=username)
    if user is None:
        return False
    people.set_password(session, username=username, password_hash=hashed)
    moment = now or datetime.now(UTC)
    revoked = people.revoke_user_tokens(session, user_id=user.id, now=moment)
    people.record_account_event(
        session,
        actor=actor,
        action="password_set",
        subject=username,
        now=moment,
        details={"via": "set_password", "revoked_tokens": revoked},
    )
    log.info("password of %s reset by %s; revoked %d tokens", username, actor, revoked)
    return True


def authenticate(session: Session, *, username: str, password: str) -> m.UserAccount | None:
    """The active person with these credentials, or None; an outdated hash is upgraded."""
    user = people.get_user(session, username=username)
    if user is None or user.password_hash is None:
        password_matches(_DUMMY_HASH, password)
        return None
    if not password_matches(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


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

    def retry_after(
        self,
        session: Session,
        *,
        username: str,
        client: str,
        now: datetime,
        excluding: Sequence[int] = (),
    ) -> int:
        """Seconds until a sign-in may be tried again; 0 if it may be tried now.

        Failures noted by attempts still under way count as failures; `excluding` leaves
        out the asking attempt's own (the ids `people.note_login_failure` gave it).
        """
        wait = timedelta(0)
        user_key, client_key = self.keys(username, client)
        for key, limit in ((user_key, self.max_failures), (client_key, 4 * self.max_failures)):
            failures = people.recent_login_failures(
                session, keys=[key], since=now - self.window, excluding=excluding
            )
            if len(failures) >= limit:
                # Allowed again once enough of these failures have left the window.
                wait = max(wait, failures[len(failures) - limit] + self.window - now)
        return max(int(wait.total_seconds()) + 1, 1) if wait > timedelta(0) else 0


@dataclass(frozen=True)
class Credentials:
    """What a person types to sign in, and where the attempt came from."""

    username: str
    password: str
    client: str


def sign_in(
    sessions: sessionmaker[Session],
    throttle: LoginThrottle,
    credentials: Credentials,
    *,
    token_name: str,
    lifetime: timedelta,
    now: datetime,
) -> tuple[AuthUser, str] | None:
    """Check credentials under the throttle and hand out a token; None for wrong ones.

    A failure is recorded even though the caller fails. Raises LockedOut before
    looking at the password when the username or the client address has failed too
    often, so a locked account gives nothing away; a locked attempt is not a failure.

    The count holds however many attempts run at once, on any number of processes,
    without a lock: each attempt first notes itself as a failure under its keys in a
    transaction of its own, committed, and only then counts the others, those under
    way included. Of attempts in parallel the last to count sees all the others, so
    no more than the limit get to check a password. A locked attempt takes its note
    back; a wrong password leaves it; a right one takes it back and clears the
    username's failures. The password is checked outside any transaction (it may
    wait for `password_checks`), so no database connection is held meanwhile.
    """
    username, client, password = credentials.username, credentials.client, credentials.password
    keys = throttle.keys(username, client)
    with transaction(sessions) as session:
        noted = people.note_login_failure(
            session, keys=keys, now=now, forget_before=now - throttle.window
        )
    stored: tuple[int, str | None] | None = None
    with transaction(sessions) as session:
        wait = throttle.retry_after(
            session, username=username, client=client, now=now, excluding=noted
        )
        if wait:
            people.forget_login_failures(session, ids=noted)
        elif username and password:
            user = people.get_user(session, username=username)
            stored = (user.id, user.password_hash) if user is not None else None
    if wait:
        raise LockedOut(wait)
    if not (username and password):
        return None
    user_id, password_hash = stored if stored is not None else (None, None)
    if user_id is None or password_hash is None:
        password_matches(_DUMMY_HASH, password)
        return None
    if not password_matches(password_hash, password):
        return None
    rehashed = hash_password(password) if _hasher.check_needs_rehash(password_hash) else None
    with transaction(sessions) as session:
        account = people.get_active_user_by_id(session, user_id=user_id)
        if account is None or account.password_hash != password_hash:
            return None  # deactivated or given a new password meanwhile: still a failure
        if rehashed is not None:
            account.password_hash = rehashed
        people.forget_login_failures(session, ids=noted)
        people.clear_login_failures(session, key=keys[0])
        token = people.create_token(
            session, user_id=account.id, name=token_name, now=now, lifetime=lifetime
        )
        return AuthUser.of(account), token


def sign_out(session: Session, *, token: str, now: datetime) -> bool:
    """Revoke a token (an API token or a page session); False if it was not active."""
    return people.revoke_token(session, token=token, now=now)


def revoke_all_tokens(session: Session, *, username: str, actor: str, now: datetime) -> int | None:
    """Revoke every API token and page session of an active person; how many, None if none.

    Signing in still works. Logged with `actor` on this module's logger at INFO (there is
    no audit table for people: the audit trail is per cycle, hash-chained).
    """
    user = people.get_user(session, username=username)
    if user is None:
        return None
    revoked = people.revoke_user_tokens(session, user_id=user.id, now=now)
    log.info("tokens of %s revoked by %s: %d", username, actor, revoked)
    return revoked
