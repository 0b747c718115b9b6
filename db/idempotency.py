"""Idempotency-Key requests of the API: claim a key, store its first answer, or give it back.

A key is claimed (one row per user and key) before the request is answered, so a concurrent
repeat fails on the unique constraint; the first answer is stored to be replayed on later
repeats, and a request that failed without an answer releases its key for the client to retry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from db import models as m


def find_idempotent_request(
    session: Session, *, user_id: int, key: str
) -> m.IdempotentRequest | None:
    """The request a user sent earlier with this Idempotency-Key, if any."""
    return session.scalar(
        select(m.IdempotentRequest).where(
            m.IdempotentRequest.user_id == user_id, m.IdempotentRequest.key == key
        )
    )


def claim_idempotent_request(
    session: Session, *, user_id: int, key: str, request_hash: str, now: datetime
) -> None:
    """Claim a key for a request being answered; IntegrityError if someone claimed it first."""
    session.add(
        m.IdempotentRequest(
            user_id=user_id,
            key=key,
            request_hash=request_hash,
            status_code=None,
            response=None,
            created_at=now,
        )
    )
    session.flush()


def finish_idempotent_request(
    session: Session, *, user_id: int, key: str, status_code: int, response: dict[str, Any]
) -> None:
    """Store the first answer to a claimed request, to be replayed on repeats."""
    session.execute(
        update(m.IdempotentRequest)
        .where(m.IdempotentRequest.user_id == user_id, m.IdempotentRequest.key == key)
        .values(status_code=status_code, response=response)
    )


def release_idempotent_request(session: Session, *, user_id: int, key: str) -> None:
    """Give a claimed key back (the request failed without an answer; the client may retry)."""
    session.execute(
        delete(m.IdempotentRequest).where(
            m.IdempotentRequest.user_id == user_id,
            m.IdempotentRequest.key == key,
            m.IdempotentRequest.status_code.is_(None),
        )
    )
