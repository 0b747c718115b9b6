"""The overdue list: every open obligation whose deadline has passed, longest overdue first.

The JSON API (`GET /overdue`) and the manager's page read it a page at a time, the
same way: what is owed follows `domain.commitment.owed_deadlines`, the rule the
workflows apply, read from the recorded rows in one query per batch.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.orm import Session

from db import reads
from domain.catalog import load_catalog
from domain.commitment import lock_key, owed_deadlines
from domain.errors import FieldError, InvalidInput
from domain.plan import StrategicIssue
from domain.roles import bound_to
from domain.stages import Stage
from services.access import AuthUser
from services.schemas import OverdueOut

DEFAULT_PAGE = 100
MAX_PAGE = 500


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: just after a commitment or, going back, just before one."""

    overdue_since: datetime
    commitment_id: str
    backward: bool = False

    def encode(self) -> str:
        """The cursor as a URL carries it (opaque to clients)."""
        direction = "prev" if self.backward else "next"
        mark = json.dumps([direction, self.overdue_since.isoformat(), self.commitment_id])
        return base64.urlsafe_b64encode(mark.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """A cursor this list gave out; anything else is InvalidInput naming `cursor`."""
        try:
            direction, since, key = json.loads(
                base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            )
            moment = datetime.fromisoformat(since)
            if direction not in ("next", "prev") or moment.tzinfo is None:
                raise ValueError(text)
            if not isinstance(key, str) or not key.isprintable():
                raise ValueError(text)
            moment = moment.astimezone(UTC)
        except (ValueError, TypeError, OverflowError) as bad:
            raise InvalidInput(
                [FieldError("cursor", "not a cursor of this list: take it from the Link header")]
            ) from bad
        return cls(moment, key, backward=direction == "prev")

    @classmethod
    def after(cls, row: reads.OverdueCommitment) -> Cursor:
        """The page that follows this commitment."""
        return cls(row.overdue_since, row.id)

    @classmethod
    def before(cls, row: reads.OverdueCommitment) -> Cursor:
        """The page that precedes this commitment."""
        return cls(row.overdue_since, row.id, backward=True)


@dataclass(frozen=True)
class OverduePage:
    """A page of the overdue list, with where the next and the previous pages start."""

    entries: list[OverdueOut]
    next: Cursor | None = None
    previous: Cursor | None = None


def find_overdue(
    session: Session,
    user: AuthUser,
    *,
    cycle_id: str | None = None,
    regency: str | None = None,
    stage: Stage | None = None,
    strategic_issue: StrategicIssue | None = None,
    quarter: int | None = None,
    at: datetime | None = None,
    cursor: Cursor | None = None,
    limit: int = DEFAULT_PAGE,
) -> OverduePage:
    """A page of the overdue obligations the user covers (the API's and the manager page's).

    The page holds the first `limit` commitments from `cursor` (the first page
    without one) that owe something now. They are read along the index a batch at
    a time, so a page costs the same however deep in the list it is; only a
    commitment that owes nothing the filters ask for (another quarter's report, a
    deadline after `at`) is read and passed over, so a quarter not yet due reads
    every commitment in follow-up. Going back past the start gives the first page.
    """
    if quarter is not None:
        # Only a commitment in follow-up owes quarterly reports.
        if stage not in (None, Stage.FOLLOW_UP):
            return OverduePage([])
        stage = Stage.FOLLOW_UP
    regency_code = load_catalog().get(regency).kemendagri_code if regency else None
    own = bound_to(user.role, user.regency_code)
    if own is not None:
        # A regency user's list is their own regency's, filtered in the query so pages fill.
        if regency_code not in (None, own):
            return OverduePage([])
        regency_code = own
    read = partial(
        reads.overdue_commitments,
        session,
        cycle_id=cycle_id,
        regency_code=regency_code,
        stage=stage.value if stage else None,
        strategic_issue=strategic_issue.value if strategic_issue else None,
        limit=limit + 1,
    )
    owing, more = _owing(read, cursor, limit, at, quarter)
    back = cursor is not None and cursor.backward
    if back and not more:
        # Back past the start: the first page, full.
        cursor, back = None, False
        owing, more = _owing(read, None, limit, at, quarter)
    if back:
        owing.reverse()
    if not owing:
        return OverduePage([])
    return OverduePage(
        [e for _, entries in owing for e in entries],
        next=Cursor.after(owing[-1][0]) if more or back else None,
        previous=Cursor.before(owing[0][0]) if cursor is not None else None,
    )


_Owing = list[tuple[reads.OverdueCommitment, list[OverdueOut]]]


def _owing(
    read: Callable[..., list[reads.OverdueCommitment]],
    cursor: Cursor | None,
    limit: int,
    at: datetime | None,
    quarter: int | None,
) -> tuple[_Owing, bool]:
    """Up to `limit` commitments from `cursor` in reading order, each with what it owes,
    and whether more follow (precede, reading backwards)."""
    owing: _Owing = []
    back = cursor is not None and cursor.backward
    mark = None if cursor is None else (cursor.overdue_since, cursor.commitment_id)
    now = None
    while True:
        batch = read(before=mark) if back else read(after=mark)
        if now is None:
            now = _clock(at, batch)
        for row in batch:
            entries = [e for e in _overdue(row, now) if quarter in (None, e.quarter)]
            if entries:
                owing.append((row, entries))
            if len(owing) > limit:
                return owing[:limit], True
        if len(batch) <= limit:
            return owing, False
        mark = (batch[-1].overdue_since, batch[-1].id)


def _clock(at: datetime | None, rows: list[reads.OverdueCommitment]) -> datetime:
    """The moment time left is measured at: `at`, else now, or the latest change read if later.

    The workflows' clock may run ahead of the wall clock (a time-skipping test, a demo).
    """
    if at is None:
        return max([datetime.now(UTC), *(r.updated_at for r in rows)])
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _overdue(row: reads.OverdueCommitment, now: datetime) -> list[OverdueOut]:
    """The passed deadlines of one commitment's open obligations.

    The workflow's clock decides what is overdue (it recorded `overdue_since`); the
    time left is counted from `now`. A quarter whose lock has passed owes nothing more.
    """
    stage = Stage(row.stage)
    locked = _locked(row, now) if stage is Stage.FOLLOW_UP else ()
    entries = []
    for key in owed_deadlines(stage, row.report_states, locked):
        text = row.deadlines.get(key)
        if text is None:
            continue
        due_at = datetime.fromisoformat(text).astimezone(UTC)
        if due_at < row.overdue_since or due_at > now:
            continue
        entries.append(
            OverdueOut(
                commitment_id=row.id,
                cycle_id=row.cycle_id,
                regency_code=row.regency_code,
                regency_name=row.regency_name,
                stage=row.stage,
                deadline_key=key.value,
                quarter=key.quarter,
                due_at=due_at,
                seconds_left=int((due_at - now).total_seconds()),
            )
        )
    return entries


def _locked(row: reads.OverdueCommitment, now: datetime) -> list[int]:
    """The quarters of a commitment in follow-up whose lock has passed."""
    return [
        q
        for q, key in _LOCK_KEYS
        if (text := row.deadlines.get(key)) is not None and datetime.fromisoformat(text) <= now
    ]


_LOCK_KEYS = tuple((q, lock_key(q)) for q in (1, 2, 3, 4))
