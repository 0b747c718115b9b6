"""The pages' CSRF tokens and sign-in nonce (passwords and the throttle: `services.signin`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets


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
