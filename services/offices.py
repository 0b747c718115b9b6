"""A regency's offices: who holds or acts for each (by SK), and their titles per date.

A coordinator records assignments (definitive, Plt., Plh., Pj., Pjs., a.n.) with the
decree's number and period, ends or withdraws them, and records a title or the
planning agency's name from the date a regency's own regulation changed it. The rules
are `domain.offices`'s; who signs on a day is `services.access.signing_office`, and
the title a signature prints is the one in force on its signing day
(`activities.records`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from db import models as m
from db import offices, people
from domain.catalog import Office, Regency, load_catalog
from domain.offices import (
    PLANNING_AGENCY,
    TITLE_KINDS,
    Assignment,
    RecordedTitle,
    gaps,
    in_force,
    problems,
    title_on,
)
from domain.refusals import RefusalCode as R
from domain.roles import Role
from services.access import AuthUser, require_role
from services.errors import Conflict, NotFound

log = logging.getLogger(__name__)

GAP_HORIZON = timedelta(days=365)
"""How far ahead the desk looks for days on which an office has no one."""


@dataclass(frozen=True)
class OfficeView:
    """One office of a regency as the desk shows it."""

    office: Office
    title: str
    """Its title today."""
    holder: Assignment | None
    """Who signs for it today; None in a gap, or while it has no assignment at all."""
    assignments: list[Assignment]
    gaps: list[tuple[date, date]]
    """Days without anyone from today on, within `GAP_HORIZON`; only once assigned."""


@dataclass(frozen=True)
class RegencyOffices:
    """A regency's offices, titles on record and the signatories who may be assigned."""

    regency: Regency
    offices: list[OfficeView]
    titles: list[m.RegencyTitle]
    agency: str
    """The planning agency's name today."""
    signatories: list[m.UserAccount]
    names: dict[str, str]
    """The full name of each signatory by username, as the desk shows assignments."""


def recorded_titles(session: Session, regency_code: str) -> list[RecordedTitle]:
    """The titles a coordinator recorded for a regency."""
    return _recorded(offices.regency_titles(session, regency_code=regency_code))


def _recorded(rows: Iterable[m.RegencyTitle]) -> list[RecordedTitle]:
    return [RecordedTitle(kind=r.kind, title=r.title, valid_from=r.valid_from) for r in rows]


def regency_offices(
    session: Session, user: AuthUser, regency_code: str, today: date
) -> RegencyOffices:
    """The desk of one regency's offices (coordinator)."""
    require_role(user, Role.COORDINATOR)
    regency = load_catalog().get(regency_code)
    code = regency.kemendagri_code
    return _desk(
        regency,
        offices.assignments(session, regency_code=code),
        offices.regency_titles(session, regency_code=code),
        people.list_users(session, regency_code=code),
        today,
    )


def every_party_offices(session: Session, user: AuthUser, today: date) -> list[RegencyOffices]:
    """The desks of the province and every regency, in the catalog's order (coordinator):
    three reads for all of them, not three per party."""
    require_role(user, Role.COORDINATOR)
    recorded: dict[str, list[Assignment]] = defaultdict(list)
    for assignment in offices.assignments(session, regency_code=None):
        recorded[assignment.regency_code].append(assignment)
    titles: dict[str, list[m.RegencyTitle]] = defaultdict(list)
    for row in offices.regency_titles(session, regency_code=None):
        titles[row.regency_code].append(row)
    users: dict[str | None, list[m.UserAccount]] = defaultdict(list)
    for account in people.list_users(session):
        users[account.regency_code].append(account)
    return [
        _desk(
            regency,
            recorded[regency.kemendagri_code],
            titles[regency.kemendagri_code],
            users[regency.kemendagri_code],
            today,
        )
        for regency in load_catalog().parties()
    ]


def _desk(
    regency: Regency,
    recorded: list[Assignment],
    title_rows: Sequence[m.RegencyTitle],
    users: Sequence[m.UserAccount],
    today: date,
) -> RegencyOffices:
    """One party's desk from its assignments, recorded titles and active people."""
    titles = _recorded(title_rows)
    views = []
    for office in Office:
        mine = [a for a in recorded if a.office is office]
        views.append(
            OfficeView(
                office=office,
                title=title_on(regency, office.value, today, titles),
                holder=in_force(mine, office, today),
                assignments=mine,
                gaps=gaps(mine, office, today, today + GAP_HORIZON) if mine else [],
            )
        )
    signatories = [u for u in users if u.role == Role.SIGNATORY]
    return RegencyOffices(
        regency=regency,
        offices=views,
        titles=list(title_rows),
        agency=title_on(regency, PLANNING_AGENCY, today, titles),
        signatories=signatories,
        names={u.username: u.full_name for u in signatories},
    )


def office_title(session: Session, regency_code: str, office: str, on: date) -> str:
    """An office's title in a regency on day `on` (as recorded, else the catalog's); the
    office's own name if the catalog has no title for it."""
    regency = load_catalog().get(regency_code)
    try:
        return title_on(regency, office, on, recorded_titles(session, regency.kemendagri_code))
    except (ValueError, LookupError):
        return office


def assign(
    session: Session, user: AuthUser, assignment: Assignment, *, now: datetime
) -> m.OfficeAssignment:
    """Record an assignment (coordinator): to an active signatory of the regency, in a way
    the office allows, overlapping no one of its tier; Conflict naming what is wrong."""
    require_role(user, Role.COORDINATOR)
    regency = load_catalog().get(assignment.regency_code)
    account = people.get_user(session, username=assignment.username)
    if (
        account is None
        or account.role != Role.SIGNATORY
        or account.regency_code != regency.kemendagri_code
    ):
        raise Conflict.coded(
            R.NOT_REGENCY_SIGNATORY, username=assignment.username, regency=regency.kemendagri_code
        )
    existing = offices.assignments(session, regency_code=regency.kemendagri_code)
    found = problems(assignment, existing)
    if found:
        raise Conflict.coded(found[0].code, **found[0].params)
    row = offices.add_assignment(
        session, assignment=assignment, user_id=account.id, recorded_by=user.username, now=now
    )
    _record(session, user, "assigned", assignment.username, row, now)
    log.info(
        "%s assigned %s as %s of %s %s by SK %s",
        user.username,
        assignment.username,
        assignment.acting.value,
        regency.kemendagri_code,
        assignment.office.value,
        assignment.sk_number,
    )
    return row


def _recorded_assignment(
    session: Session, assignment_id: int, regency_code: str
) -> m.OfficeAssignment:
    row = offices.get_assignment(session, assignment_id=assignment_id)
    if row is None or row.withdrawn_at is not None or row.regency_code != regency_code:
        raise NotFound(f"no assignment {assignment_id} in regency {regency_code}")
    return row


def end_assignment(
    session: Session,
    user: AuthUser,
    assignment_id: int,
    last_day: date,
    regency_code: str,
    *,
    now: datetime,
) -> Assignment:
    """Set the last day of an assignment (coordinator); Conflict if that would reverse it."""
    require_role(user, Role.COORDINATOR)
    row = _recorded_assignment(session, assignment_id, regency_code)
    if row.valid_from is not None and last_day < row.valid_from:
        raise Conflict.coded(
            R.PERIOD_REVERSED, start=row.valid_from.isoformat(), end=last_day.isoformat()
        )
    offices.end_assignment(session, assignment_id=assignment_id, valid_until=last_day)
    account = session.get(m.UserAccount, row.user_id)
    username = account.username if account else "?"
    _record(session, user, "assignment_ended", username, row, now)
    return offices.as_assignment(row, username)


def withdraw_assignment(
    session: Session, user: AuthUser, assignment_id: int, regency_code: str, *, now: datetime
) -> None:
    """Withdraw an assignment recorded by mistake (coordinator); kept for the record."""
    require_role(user, Role.COORDINATOR)
    row = _recorded_assignment(session, assignment_id, regency_code)
    offices.withdraw_assignment(session, assignment_id=assignment_id, now=now)
    account = session.get(m.UserAccount, row.user_id)
    _record(session, user, "assignment_withdrawn", account.username if account else "?", row, now)


def _record(
    session: Session,
    user: AuthUser,
    action: str,
    username: str,
    row: m.OfficeAssignment,
    now: datetime,
) -> None:
    """Put an assignment's change in the assignee's account history (`account_event`)."""
    people.record_account_event(
        session,
        actor=user.username,
        action=action,
        subject=username,
        now=now,
        details={
            "regency": row.regency_code,
            "office": row.office,
            "acting": row.acting,
            "sk": row.sk_number,
            "from": row.valid_from.isoformat() if row.valid_from else None,
            "until": row.valid_until.isoformat() if row.valid_until else None,
        },
    )


def record_title(
    session: Session,
    user: AuthUser,
    *,
    regency_code: str,
    kind: str,
    title: str,
    valid_from: date,
    source: str,
    now: datetime,
) -> m.RegencyTitle:
    """Record an office's title or the agency's name from a date on (coordinator)."""
    require_role(user, Role.COORDINATOR)
    if kind not in TITLE_KINDS:
        raise NotFound(f"no title kind {kind!r}; known: {', '.join(TITLE_KINDS)}")
    regency = load_catalog().get(regency_code)
    return offices.add_regency_title(
        session,
        regency_code=regency.kemendagri_code,
        kind=kind,
        title=" ".join(title.split()),
        valid_from=valid_from,
        source=source.strip(),
        recorded_by=user.username,
        now=now,
    )
