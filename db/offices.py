"""Offices as recorded: who holds or acts for them (by SK), and titles per regency per date.

Keyword-only functions over `office_assignment` and `regency_title`; the rules (who
signs on a day, what may overlap) are `domain.offices`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import models as m
from domain.offices import Assignment


def as_assignment(row: m.OfficeAssignment, username: str) -> Assignment:
    """The domain's view of a recorded assignment."""
    return Assignment.model_validate(
        {
            "id": row.id,
            "regency_code": row.regency_code,
            "office": row.office,
            "username": username,
            "acting": row.acting,
            "sk_number": row.sk_number,
            "valid_from": row.valid_from,
            "valid_until": row.valid_until,
            "own_title": row.own_title,
        }
    )


def assignments(
    session: Session, *, regency_code: str | None, offices: Sequence[str] | None = None
) -> list[Assignment]:
    """The regency's assignments (None: every party's) in force or to come (not
    withdrawn), oldest first."""
    query = (
        select(m.OfficeAssignment, m.UserAccount.username)
        .join(m.UserAccount, m.UserAccount.id == m.OfficeAssignment.user_id)
        .where(m.OfficeAssignment.withdrawn_at.is_(None))
        .order_by(m.OfficeAssignment.valid_from.nulls_first(), m.OfficeAssignment.id)
    )
    if regency_code is not None:
        query = query.where(m.OfficeAssignment.regency_code == regency_code)
    if offices is not None:
        query = query.where(m.OfficeAssignment.office.in_(offices))
    return [as_assignment(row, username) for row, username in session.execute(query)]


def has_assignments(session: Session, *, user_id: int) -> bool:
    """Whether the person has any assignment on record (not withdrawn)."""
    return (
        session.scalar(
            select(m.OfficeAssignment.id)
            .where(m.OfficeAssignment.user_id == user_id, m.OfficeAssignment.withdrawn_at.is_(None))
            .limit(1)
        )
        is not None
    )


def get_assignment(session: Session, *, assignment_id: int) -> m.OfficeAssignment | None:
    """One recorded assignment, withdrawn or not."""
    return session.get(m.OfficeAssignment, assignment_id)


def add_assignment(
    session: Session, *, assignment: Assignment, user_id: int, recorded_by: str, now: datetime
) -> m.OfficeAssignment:
    """Record an assignment (checked by the caller against `domain.offices.problems`)."""
    row = m.OfficeAssignment(
        regency_code=assignment.regency_code,
        office=assignment.office.value,
        user_id=user_id,
        acting=assignment.acting.value,
        sk_number=assignment.sk_number,
        valid_from=assignment.valid_from,
        valid_until=assignment.valid_until,
        own_title=assignment.own_title,
        recorded_by=recorded_by,
        recorded_at=now,
        withdrawn_at=None,
    )
    session.add(row)
    session.flush()
    return row


def end_assignment(session: Session, *, assignment_id: int, valid_until: date) -> None:
    """Set the last day of an assignment."""
    row = session.get(m.OfficeAssignment, assignment_id)
    if row is not None:
        row.valid_until = valid_until
        session.flush()


def withdraw_assignment(session: Session, *, assignment_id: int, now: datetime) -> None:
    """Withdraw an assignment recorded by mistake; the row stays for the record."""
    row = session.get(m.OfficeAssignment, assignment_id)
    if row is not None:
        row.withdrawn_at = now
        session.flush()


def regency_titles(session: Session, *, regency_code: str | None) -> Sequence[m.RegencyTitle]:
    """The titles and agency names a coordinator recorded for a regency (None: every
    party), in the order recorded: rows are never changed, so they are also the history of
    who recorded what."""
    query = select(m.RegencyTitle).order_by(m.RegencyTitle.id)
    if regency_code is not None:
        query = query.where(m.RegencyTitle.regency_code == regency_code)
    return session.scalars(query).all()


def add_regency_title(
    session: Session,
    *,
    regency_code: str,
    kind: str,
    title: str,
    valid_from: date,
    source: str,
    recorded_by: str,
    now: datetime,
) -> m.RegencyTitle:
    """Record a title (or agency name) holding from `valid_from`; one recorded later for
    the same date corrects it (`domain.offices.title_on`), and both stay."""
    row = m.RegencyTitle(
        regency_code=regency_code,
        kind=kind,
        title=title,
        valid_from=valid_from,
        source=source,
        recorded_by=recorded_by,
        recorded_at=now,
    )
    session.add(row)
    session.flush()
    return row
