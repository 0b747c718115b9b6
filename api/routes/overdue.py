"""The overdue list: every open obligation whose deadline has passed, least time left first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from api.deps import AuthUser, CurrentUser, SessionDep
from api.schemas import OverdueOut
from db import repository
from domain.catalog import load_catalog
from domain.cycle import CYCLE_ID_PATTERN
from domain.plan import StrategicIssue
from domain.reports import ReportState
from domain.stages import Stage

router = APIRouter(tags=["overdue"])

_STAGE_DEADLINE = {Stage.DRAFTING: "drafting", Stage.REVIEW: "review", Stage.SIGNING: "signing"}
_REPORTED = {ReportState.SUBMITTED.value, ReportState.VERIFIED.value, ReportState.MISSING.value}


@router.get("/overdue")
def list_overdue(
    user: CurrentUser,
    session: SessionDep,
    cycle_id: Annotated[
        str | None, Query(pattern=CYCLE_ID_PATTERN, description="one cycle only")
    ] = None,
    regency: Annotated[str | None, Query(description="Kemendagri or BPS code")] = None,
    stage: Stage | None = None,
    strategic_issue: StrategicIssue | None = None,
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
    at: Annotated[datetime | None, Query(description="measure time left at; default now")] = None,
) -> list[OverdueOut]:
    """Overdue obligations, filterable by regency, stage, strategic issue and quarter."""
    return find_overdue(
        session,
        user,
        cycle_id=cycle_id,
        regency=regency,
        stage=stage,
        strategic_issue=strategic_issue,
        quarter=quarter,
        at=at,
    )


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
) -> list[OverdueOut]:
    """The overdue obligations the user covers, least time left first (the API's and the pages')."""
    if quarter is not None:
        # Only a commitment in follow-up owes quarterly reports.
        if stage not in (None, Stage.FOLLOW_UP):
            return []
        stage = Stage.FOLLOW_UP
    rows = repository.overdue_commitments(
        session,
        cycle_id=cycle_id,
        regency_code=load_catalog().get(regency).kemendagri_code if regency else None,
        stage=stage.value if stage else None,
        strategic_issue=strategic_issue.value if strategic_issue else None,
    )
    rows = [r for r in rows if user.covers(r.regency_code)]
    # The workflows' clock may run ahead of the wall clock (a time-skipping test, a demo).
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    now = at or max([datetime.now(UTC), *(r.updated_at for r in rows)])
    entries = [e for row in rows for e in _overdue(row, now)]
    if quarter is not None:
        entries = [e for e in entries if e.quarter == quarter]
    return sorted(entries, key=lambda e: (e.seconds_left, e.regency_code))


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
