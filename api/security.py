"""Password hashing (argon2id), credential checks, and the pages' CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from db import models as m
from db import repository

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
    return repository.set_password(
        session, username=username, password_hash=hash_password(password)
    )


def authenticate(session: Session, *, username: str, password: str) -> m.UserAccount | None:
    """The active user with these credentials, or None; an outdated hash is upgraded."""
    user = repository.get_user(session, username=username)
    if user is None or user.password_hash is None:
        password_matches(_DUMMY_HASH, password)
        return None
    if not password_matches(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
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
