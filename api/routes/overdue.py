"""The overdue list: every open obligation whose deadline has passed, longest overdue first."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from api.deps import AuthUser, CurrentUser, SessionDep
from db import reads
from domain.catalog import load_catalog
from domain.cycle import CYCLE_ID_PATTERN
from domain.errors import FieldError, InvalidInput
from domain.plan import StrategicIssue
from domain.reports import ReportState
from domain.stages import Stage
from services.schemas import OverdueOut

router = APIRouter(tags=["overdue"])

DEFAULT_PAGE = 100
MAX_PAGE = 500

_STAGE_DEADLINE = {Stage.DRAFTING: "drafting", Stage.REVIEW: "review", Stage.SIGNING: "signing"}
_REPORTED = {ReportState.SUBMITTED.value, ReportState.VERIFIED.value, ReportState.MISSING.value}


@router.get("/overdue")
def list_overdue(
    user: CurrentUser,
    session: SessionDep,
    request: Request,
    response: Response,
    cycle_id: Annotated[
        str | None, Query(pattern=CYCLE_ID_PATTERN, description="one cycle only")
    ] = None,
    regency: Annotated[str | None, Query(description="Kemendagri or BPS code")] = None,
    stage: Stage | None = None,
    strategic_issue: StrategicIssue | None = None,
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
    at: Annotated[datetime | None, Query(description="measure time left at; default now")] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description="commitments a page covers")
    ] = DEFAULT_PAGE,
    cursor: Annotated[
        str | None, Query(max_length=200, description="from a previous page's Link header")
    ] = None,
) -> list[OverdueOut]:
    """Overdue obligations, filterable by regency, stage, strategic issue and quarter.

    Longest overdue first: commitments by the moment they became overdue, then by
    id (cycle, then regency code), each with its passed deadlines, oldest first. A
    page covers up to `limit` commitments that owe something the filters ask for
    (a commitment in follow-up may owe several quarters). The `Link` header gives
    the next page (`rel="next"`) while more follow, and the previous one
    (`rel="prev"`) after the first; their `cursor` names the commitment a page
    ends or starts at, so walking the pages never repeats or skips a commitment
    however the list changes meanwhile.
    """
    page = find_overdue(
        session,
        user,
        cycle_id=cycle_id,
        regency=regency,
        stage=stage,
        strategic_issue=strategic_issue,
        quarter=quarter,
        at=at,
        cursor=Cursor.decode(cursor) if cursor else None,
        limit=limit,
    )
    links = [
        f'<{request.url.include_query_params(cursor=mark.encode())}>; rel="{rel}"'
        for rel, mark in (("next", page.next), ("prev", page.previous))
        if mark is not None
    ]
    if links:
        response.headers["Link"] = ", ".join(links)
    return page.entries


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
    if user.role.is_regency_role:
        # A regency user's list is their own regency's, filtered in the query so pages fill.
        if regency_code not in (None, user.regency_code):
            return OverduePage([])
        regency_code = user.regency_code
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
    time left is counted from `now`.
    """
    reference = now
    due: list[tuple[str, int | None]] = []
    stage = Stage(row.stage)
    if stage in _STAGE_DEADLINE:
        due.append((_STAGE_DEADLINE[stage], None))
    elif stage == Stage.FOLLOW_UP:
        due += [(f"q{q}", q) for q in (1, 2, 3, 4) if row.report_states.get(q) not in _REPORTED]
    entries = []
    for key, q in due:
        text = row.deadlines.get(key)
        if text is None:
            continue
        due_at = datetime.fromisoformat(text).astimezone(UTC)
        if due_at < row.overdue_since:
            continue
        if due_at > reference:
            continue
        entries.append(
            OverdueOut(
                commitment_id=row.id,
                cycle_id=row.cycle_id,
                regency_code=row.regency_code,
                regency_name=row.regency_name,
                stage=row.stage,
                deadline_key=key,
                quarter=q,
                due_at=due_at,
                seconds_left=int((due_at - reference).total_seconds()),
            )
        )
    return entries
