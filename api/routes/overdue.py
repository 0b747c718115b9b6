"""The overdue list: every open obligation whose deadline has passed, least time left first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import CurrentUser, SessionDep
from api.schemas import OverdueOut
from db import models as m
from domain.catalog import load_catalog
from domain.plan import StrategicIssue
from domain.reports import ReportState
from domain.stages import Stage

router = APIRouter(tags=["overdue"])

_STAGE_DEADLINE = {Stage.DRAFTING: "drafting", Stage.REVIEW: "review", Stage.SIGNING: "signing"}
_REPORTED = {ReportState.SUBMITTED.value, ReportState.VERIFIED.value}


@router.get("/overdue")
def list_overdue(
    user: CurrentUser,
    session: SessionDep,
    cycle_id: Annotated[str | None, Query(description="one cycle only")] = None,
    regency: Annotated[str | None, Query(description="Kemendagri or BPS code")] = None,
    stage: Stage | None = None,
    strategic_issue: StrategicIssue | None = None,
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
    at: Annotated[datetime | None, Query(description="measure time left at; default now")] = None,
) -> list[OverdueOut]:
    """Overdue obligations, filterable by regency, stage, strategic issue and quarter."""
    query = select(m.Commitment).where(m.Commitment.overdue_since.is_not(None))
    if cycle_id is not None:
        query = query.where(m.Commitment.cycle_id == cycle_id)
    if regency is not None:
        query = query.where(
            m.Commitment.regency_code == load_catalog().get(regency).kemendagri_code
        )
    if stage is not None:
        query = query.where(m.Commitment.stage == stage.value)
    if strategic_issue is not None:
        query = query.where(
            select(m.ActionItem.id)
            .join(m.PlanVersion, m.ActionItem.version_id == m.PlanVersion.id)
            .where(
                m.PlanVersion.commitment_id == m.Commitment.id,
                m.PlanVersion.number == m.Commitment.latest_version,
                m.ActionItem.strategic_issue == strategic_issue.value,
            )
            .exists()
        )
    rows = [r for r in session.scalars(query).all() if user.covers(r.regency_code)]
    # The workflows' clock may run ahead of the wall clock (a time-skipping test, a demo).
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    now = at or max([datetime.now(UTC), *(r.updated_at for r in rows)])
    entries = [e for row in rows for e in _overdue(session, row, now)]
    if quarter is not None:
        entries = [e for e in entries if e.quarter == quarter]
    return sorted(entries, key=lambda e: (e.seconds_left, e.regency_code))


def _overdue(session: Session, row: m.Commitment, now: datetime) -> list[OverdueOut]:
    """The passed deadlines of one commitment's open obligations.

    The workflow's clock decides what is overdue (it recorded `overdue_since`); the
    time left is counted from `now`.
    """
    assert row.overdue_since is not None
    reference = now
    due: list[tuple[str, int | None]] = []
    stage = Stage(row.stage)
    if stage in _STAGE_DEADLINE:
        due.append((_STAGE_DEADLINE[stage], None))
    elif stage == Stage.FOLLOW_UP:
        reported = {
            r.quarter
            for r in session.scalars(
                select(m.QuarterlyReport).where(m.QuarterlyReport.commitment_id == row.id)
            )
            if r.state in _REPORTED or r.state == ReportState.MISSING.value
        }
        due += [(f"q{q}", q) for q in (1, 2, 3, 4) if q not in reported]
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
