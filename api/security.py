"""Password hashing (argon2id) and credential checks for the API."""

from __future__ import annotations

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
