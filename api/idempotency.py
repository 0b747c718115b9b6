"""Idempotency-Key: a repeated action request gets the first answer, and nothing happens twice.

A client may send `Idempotency-Key: <1-200 visible characters>` with any action. The
first request with a key claims it (one row per user and key) and its answer is
stored, a refusal (409) as much as a success; a repeat of the same request gets
that answer again, marked `Idempotent-Replayed: true`. The same key with a
different request is refused (422), and a repeat while the first is still being
answered gets 409, unless the claim is older than `STALE_AFTER` in
`services/stored_answers.py` (its process died):
then the repeat takes it over. The key also becomes the Workflow Update's id, so a
taken-over request that reaches the workflow again is answered by Temporal with
the original update's result instead of acting twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Header, Request, Response
from pydantic import BaseModel

from api.deps import RuntimeDep
from domain.plan import canonical_json
from services import stored_answers
from services.errors import ActionRefused
from services.schemas import ActionOut

HEADER = stored_answers.KEY
REPLAYED = "Idempotent-Replayed"

Send = Callable[[str | None], Awaitable[ActionOut]]


@dataclass
class Idempotency:
    """One request's Idempotency-Key (None without one) and where to store its answer."""

    key: str | None
    user_id: int
    runtime: RuntimeDep
    request: Request
    response: Response

    @property
    def update_id(self) -> str | None:
        """The Workflow Update id this key gives (one per user and key)."""
        if self.key is None:
            return None
        return f"idem-{self.user_id}-{hashlib.sha256(self.key.encode()).hexdigest()[:32]}"

    async def run(self, action: BaseModel, send: Send) -> ActionOut:
        """Send the action once per key; a repeat returns (or raises) the first answer."""
        if self.key is None:
            return await send(None)
        fingerprint = hashlib.sha256(
            canonical_json(
                {"path": self.request.url.path, "action": action.model_dump(mode="json")}
            ).encode()
        ).hexdigest()
        replayed = self._claim(fingerprint)
        if replayed is not None:
            return replayed
        try:
            answer = await send(self.update_id)
        except ActionRefused as refused:
            self._finish(409, {"detail": refused.reason})
            raise
        except BaseException:
            self._release()
            raise
        self._finish(200, answer.model_dump(mode="json"))
        return answer

    def _claim(self, fingerprint: str) -> ActionOut | None:
        """Claim the key, or return the stored answer of the request that claimed it."""
        assert self.key is not None
        stored = stored_answers.claim(
            self.runtime.sessions,
            user_id=self.user_id,
            key=self.key,
            fingerprint=fingerprint,
            now=datetime.now(UTC),
        )
        if stored is None:
            return None
        self.response.headers[REPLAYED] = "true"
        return ActionOut.model_validate(stored)

    def _finish(self, status_code: int, body: dict[str, object]) -> None:
        assert self.key is not None
        stored_answers.finish(
            self.runtime.sessions,
            user_id=self.user_id,
            key=self.key,
            status_code=status_code,
            body=body,
        )

    def _release(self) -> None:
        assert self.key is not None
        stored_answers.release(self.runtime.sessions, user_id=self.user_id, key=self.key)


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="repeat a request safely: the same key gets the first answer",
    ),
]
