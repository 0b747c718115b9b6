"""The overdue list: every open obligation whose deadline has passed, longest overdue first."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from api.deps import AuthUser, CurrentUser, SessionDep
from api.schemas import OverdueOut
from db import repository
from domain.catalog import load_catalog
from domain.cycle import CYCLE_ID_PATTERN
from domain.errors import FieldError, InvalidInput
from domain.plan import StrategicIssue
from domain.reports import ReportState
from domain.stages import Stage

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
        str | None, Query(max_length=200, description="from the previous page's Link header")
    ] = None,
) -> list[OverdueOut]:
    """Overdue obligations, filterable by regency, stage, strategic issue and quarter.

    Longest overdue first: commitments by the moment they became overdue (then id),
    each with its passed deadlines, oldest first. A page covers up to `limit`
    commitments (a commitment in follow-up may owe several quarters); when more
    follow, the `Link` header gives the next page (`rel="next"`), whose `cursor`
    names where this one ended, so a page never repeats or skips a commitment
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
        after=_decode(cursor) if cursor else None,
        limit=limit,
    )
    if page.next_cursor is not None:
        following = request.url.include_query_params(cursor=page.next_cursor)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return page.entries


@dataclass(frozen=True)
class OverduePage:
    """A page of the overdue list and, when more follow, the cursor of the next."""

    entries: list[OverdueOut]
    next_cursor: str | None


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
    after: tuple[datetime, str] | None = None,
    limit: int | None = None,
) -> OverduePage:
    """The overdue obligations the user covers (the API's and the pages'), longest overdue first.

    Without a `limit`, every one (the manager page shows one cycle's).
    """
    if quarter is not None:
        # Only a commitment in follow-up owes quarterly reports.
        if stage not in (None, Stage.FOLLOW_UP):
            return OverduePage([], None)
        stage = Stage.FOLLOW_UP
    regency_code = load_catalog().get(regency).kemendagri_code if regency else None
    if user.role.is_regency_role:
        # A regency user's list is their own regency's, filtered in the query so pages fill.
        if regency_code not in (None, user.regency_code):
            return OverduePage([], None)
        regency_code = user.regency_code
    rows = repository.overdue_commitments(
        session,
        cycle_id=cycle_id,
        regency_code=regency_code,
        stage=stage.value if stage else None,
        strategic_issue=strategic_issue.value if strategic_issue else None,
        after=after,
        limit=None if limit is None else limit + 1,
    )
    more = limit is not None and len(rows) > limit
    rows = rows[:limit]
    # The workflows' clock may run ahead of the wall clock (a time-skipping test, a demo).
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    now = at or max([datetime.now(UTC), *(r.updated_at for r in rows)])
    entries = [e for row in rows for e in _overdue(row, now)]
    if quarter is not None:
        entries = [e for e in entries if e.quarter == quarter]
    return OverduePage(entries, _encode(rows[-1]) if more else None)


def _encode(row: repository.OverdueCommitment) -> str:
    mark = json.dumps([row.overdue_since.isoformat(), row.id]).encode()
    return base64.urlsafe_b64encode(mark).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        since, key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = datetime.fromisoformat(since)
        if moment.tzinfo is None or not isinstance(key, str):
            raise ValueError(cursor)
    except (ValueError, TypeError) as bad:
        raise InvalidInput(
            [FieldError("cursor", "not a cursor of this list: take it from the Link header")]
        ) from bad
    return moment, key


def _overdue(row: repository.OverdueCommitment, now: datetime) -> list[OverdueOut]:
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
