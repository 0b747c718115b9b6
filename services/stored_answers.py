"""Stored answers for repeated requests: the storage behind the API's Idempotency-Key.

The first request with a key claims it (one row per person and key) and its answer
is stored, a refusal as much as a success; a repeat gets that answer again. A claim
older than `STALE_AFTER` with no answer belongs to a process that died: a repeat
takes it over (the key is also the Workflow Update id, so nothing acts twice).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import idempotency
from db.session import transaction
from domain.errors import FieldError, InvalidInput
from services.errors import Conflict

STALE_AFTER = timedelta(minutes=2)
KEY = "Idempotency-Key"


class Replayed(Conflict):
    """The stored refusal of the first request with this key, given again."""


def claim(
    sessions: sessionmaker[Session],
    *,
    user_id: int,
    key: str,
    fingerprint: str,
    now: datetime,
) -> dict[str, Any] | None:
    """Claim the key (None: go ahead), or the stored answer of the request that claimed it.

    Conflict while the first request is still being answered, Replayed with its
    reason if it was refused, InvalidInput if the key was used for another request.
    """
    try:
        with transaction(sessions) as session:
            earlier = idempotency.find_idempotent_request(session, user_id=user_id, key=key)
            if earlier is None:
                idempotency.claim_idempotent_request(
                    session, user_id=user_id, key=key, request_hash=fingerprint, now=now
                )
                return None
    except IntegrityError:
        raise Conflict(f"a request with {KEY} {key!r} is being answered") from None
    if earlier.request_hash != fingerprint:
        raise InvalidInput(
            [FieldError(KEY, "this key was used for a different request; use a new key")]
        )
    if earlier.status_code is None:
        if now - earlier.created_at < STALE_AFTER:
            raise Conflict(f"a request with {KEY} {key!r} is being answered")
        return None  # its process died: take it over; the update id keeps it single
    stored = earlier.response or {}
    if earlier.status_code == 200:
        return dict(stored)
    raise Replayed(str(stored.get("detail", "refused")))


def finish(
    sessions: sessionmaker[Session], *, user_id: int, key: str, status_code: int, body: Any
) -> None:
    """Store the answer to the request that claimed the key."""
    with transaction(sessions) as session:
        idempotency.finish_idempotent_request(
            session, user_id=user_id, key=key, status_code=status_code, response=body
        )


def release(sessions: sessionmaker[Session], *, user_id: int, key: str) -> None:
    """Give the key up: the request failed before it was answered, so a repeat may act."""
    with transaction(sessions) as session:
        idempotency.release_idempotent_request(session, user_id=user_id, key=key)
