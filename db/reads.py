"""Keyword-only reads of Komitmen's records: cycles, commitments and everything recorded of them.

Cycles, commitments, plan versions and their items, review comments, signatures, quarterly
reports (per commitment or per cycle, and verified counts), the overdue list
(`OverdueCommitment`), and the audit trail with its hash chain (`list_audit`,
`audit_chain_head`, `audited_cycles`, `verify_audit_chain`, `count_audit`). Nothing here
writes; the writes are in db.records, db.people, db.idempotency and db.mail.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    union,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from db import models as m
from domain.audit import EMPTY_CHAIN, AuditEntry, ChainCheck, ChainHead, verify_chain
from domain.standing import DONE_HUNDREDTHS


def list_cycles(session: Session) -> Sequence[m.Cycle]:
    """All cycles, newest first."""
    return session.scalars(select(m.Cycle).order_by(m.Cycle.started_at.desc())).all()


@dataclass(frozen=True, slots=True)
class CycleTitle:
    """What a link to a cycle shows: its id, name and year."""

    id: str
    name: str
    year: int


_cycle = m.Cycle.__table__.c
# Built once: the board lists them on every request.
_CYCLE_TITLES = select(_cycle.id, _cycle.name, _cycle.year).order_by(_cycle.started_at.desc())


def cycle_titles(session: Session) -> list[CycleTitle]:
    """Every cycle's id, name and year, newest first.

    Without its spec, which holds every regency of the cycle: a list of links needs
    none of it, and each would be read and parsed on every page that lists them.
    """
    return [CycleTitle(*row) for row in session.execute(_CYCLE_TITLES)]


def list_commitments(session: Session, *, cycle_id: str) -> Sequence[m.Commitment]:
    """A cycle's commitments in regency-code order."""
    return session.scalars(
        select(m.Commitment)
        .where(m.Commitment.cycle_id == cycle_id)
        .order_by(m.Commitment.regency_code)
    ).all()


@dataclass(frozen=True, slots=True)
class CycleHead:
    """A cycle's id, name and year, and the regencies it started with (code and name each)."""

    id: str
    name: str
    year: int
    regencies: list[dict[str, str]]


# Only the spec's regencies: the rest of it (schedule, calendar, items carried over) can be
# many times their size, and a page listing the regencies would decode it all per request.
_CYCLE_HEAD = select(_cycle.id, _cycle.name, _cycle.year, _cycle.spec["regencies"]).where(
    _cycle.id == bindparam("cycle_id")
)


def cycle_head(session: Session, *, cycle_id: str) -> CycleHead | None:
    """A recorded cycle's id, name, year and regencies; None if there is no such cycle."""
    row = session.execute(_CYCLE_HEAD, {"cycle_id": cycle_id}).first()
    if row is None:
        return None
    id_, name, year, regencies = row
    return CycleHead(id_, name, year, regencies or [])


@dataclass(frozen=True, slots=True)
class BoardLine:
    """What a cycle's board shows of a recorded commitment, read as plain columns."""

    id: str
    regency_code: str
    stage: str
    round: int
    next_due_at: datetime | None
    overdue_since: datetime | None
    approved_version: int | None
    document_hash: str | None
    verified: int
    """How many of its quarterly reports have been verified."""


_commitment = m.Commitment.__table__.c
_REPORTS = m.Base.metadata.tables[m.QuarterlyReport.__tablename__]
_report = _REPORTS.c
# Built once: the board is the page managers keep open, and a cycle's rows as ORM objects
# (their deadlines decoded, each tracked by the session) cost more than the page's template.
_BOARD_LINES = (
    select(
        _commitment.id,
        _commitment.regency_code,
        _commitment.stage,
        _commitment.round,
        _commitment.next_due_at,
        _commitment.overdue_since,
        _commitment.approved_version,
        _commitment.document_hash,
        func.count(case((_report.state == "verified", 1))),
    )
    # Joined by commitment alone and counted in the group: a correlated count, or a join
    # on the state as well, had SQLite walk the index on state, every verified report of
    # every cycle per commitment (0.5 s for 514 regencies at 10,000 commitments,
    # bench.queries); by commitment it reads at most a year's four reports each.
    .outerjoin(_REPORTS, _report.commitment_id == _commitment.id)
    .where(_commitment.cycle_id == bindparam("cycle_id"))
    .group_by(_commitment.id)
    .order_by(_commitment.regency_code)
)


def board_lines(session: Session, *, cycle_id: str) -> list[BoardLine]:
    """A cycle's commitments in regency-code order, with their verified reports counted."""
    return [BoardLine(*row) for row in session.execute(_BOARD_LINES, {"cycle_id": cycle_id})]


@dataclass(frozen=True, slots=True)
class CommitmentRow:
    """A commitment as last recorded, read as plain columns (not tracked by the session)."""

    id: str
    cycle_id: str
    regency_code: str
    regency_name: str
    stage: str
    round: int
    latest_version: int
    approved_version: int | None
    document_hash: str | None
    next_due_at: datetime | None
    overdue_since: datetime | None
    deadlines: dict[str, Any]
    last_seq: int
    updated_at: datetime


# Built once: every request about a commitment (its JSON, its page, every action) reads it
# first, and loading it as an ORM object cost more than the rest of a JSON read.
_COMMITMENT_ROW = select(*(_commitment[f.name] for f in fields(CommitmentRow))).where(
    _commitment.id == bindparam("commitment_id")
)


RecordedCommitment = m.Commitment | CommitmentRow
"""A commitment as recorded: an ORM object or its plain columns, read alike."""


def commitment_row(session: Session, *, commitment_id: str) -> CommitmentRow | None:
    """One commitment by id, as plain columns."""
    row = session.execute(_COMMITMENT_ROW, {"commitment_id": commitment_id}).first()
    return CommitmentRow(*row) if row is not None else None


def get_commitment(session: Session, *, commitment_id: str) -> m.Commitment | None:
    """One commitment by id."""
    return session.get(m.Commitment, commitment_id)


def version_items(session: Session, *, commitment_id: str, number: int) -> Sequence[m.ActionItem]:
    """The items of one version, in order."""
    return session.scalars(
        select(m.ActionItem)
        .join(m.PlanVersion, m.ActionItem.version_id == m.PlanVersion.id)
        .where(m.PlanVersion.commitment_id == commitment_id, m.PlanVersion.number == number)
        .order_by(m.ActionItem.position)
    ).all()


def items_of_versions(
    session: Session, *, versions: dict[str, int]
) -> dict[str, list[m.ActionItem]]:
    """One version's items per commitment ({commitment id: version number}), in one query."""
    if not versions:
        return {}
    wanted = tuple_(m.PlanVersion.commitment_id, m.PlanVersion.number).in_(list(versions.items()))
    rows = session.execute(
        select(m.PlanVersion.commitment_id, m.ActionItem)
        .join(m.PlanVersion, m.ActionItem.version_id == m.PlanVersion.id)
        .where(wanted)
        .order_by(m.PlanVersion.commitment_id, m.ActionItem.position)
    ).all()
    grouped: dict[str, list[m.ActionItem]] = defaultdict(list)
    for commitment_id, item in rows:
        grouped[commitment_id].append(item)
    return dict(grouped)


_OfCommitment = TypeVar(
    "_OfCommitment", m.PlanVersion, m.ReviewComment, m.Signature, m.QuarterlyReport
)


def _of_commitment(
    session: Session,
    model: type[_OfCommitment],
    commitment_id: str,
    *order: InstrumentedAttribute[Any],
) -> Sequence[_OfCommitment]:
    """One commitment's rows of a model, in the given order."""
    return session.scalars(
        select(model).where(model.commitment_id == commitment_id).order_by(*order)
    ).all()


def list_versions(session: Session, *, commitment_id: str) -> Sequence[m.PlanVersion]:
    """Every saved version of a commitment, oldest first."""
    return _of_commitment(session, m.PlanVersion, commitment_id, m.PlanVersion.number)


def get_version(session: Session, *, commitment_id: str, number: int) -> m.PlanVersion | None:
    """One saved version of a commitment, or None."""
    return session.scalar(
        select(m.PlanVersion).where(
            m.PlanVersion.commitment_id == commitment_id, m.PlanVersion.number == number
        )
    )


def list_comments(session: Session, *, commitment_id: str) -> Sequence[m.ReviewComment]:
    """Review comments of a commitment, oldest first."""
    return _of_commitment(
        session,
        m.ReviewComment,
        commitment_id,
        m.ReviewComment.event_seq,
        m.ReviewComment.position,
    )


def list_signatures(session: Session, *, commitment_id: str) -> Sequence[m.Signature]:
    """Signatures of a commitment in the order they were given."""
    return _of_commitment(session, m.Signature, commitment_id, m.Signature.signed_at)


def list_reports(session: Session, *, commitment_id: str) -> Sequence[m.QuarterlyReport]:
    """Quarterly reports of a commitment by quarter."""
    return _of_commitment(session, m.QuarterlyReport, commitment_id, m.QuarterlyReport.quarter)


@dataclass(frozen=True, slots=True)
class OverdueCommitment:
    """What the overdue list needs of a commitment, read as plain columns.

    A cycle can have thousands of overdue commitments; plain rows cost a fraction
    of full ORM objects tracked by the session.
    """

    id: str
    cycle_id: str
    regency_code: str
    regency_name: str
    stage: str
    deadlines: dict[str, Any]
    overdue_since: datetime
    updated_at: datetime
    report_states: dict[int, str] = field(default_factory=dict)
    """The state of each quarter's report, for a commitment in follow-up."""


def overdue_commitments(
    session: Session,
    *,
    cycle_id: str | None = None,
    regency_code: str | None = None,
    stage: str | None = None,
    strategic_issue: str | None = None,
    after: tuple[datetime, str] | None = None,
    before: tuple[datetime, str] | None = None,
    limit: int | None = None,
) -> list[OverdueCommitment]:
    """Commitments with a passed deadline, with their reports; two queries however many.

    Longest overdue first: by `overdue_since`, then id. `after` (a commitment's
    `overdue_since` and id) and `limit` read the page that follows it, along the
    index; `before` reads backwards instead, the nearest first.
    With an issue, only those whose latest version has an item on it.
    """
    if after is not None and before is not None:
        raise ValueError("a page starts after a commitment or before one, not both")
    where: list[ColumnElement[bool]] = [m.Commitment.overdue_since.is_not(None)]
    if cycle_id is not None:
        where.append(m.Commitment.cycle_id == cycle_id)
    if regency_code is not None:
        where.append(m.Commitment.regency_code == regency_code)
    if stage is not None:
        where.append(m.Commitment.stage == stage)
    order = (m.Commitment.overdue_since, m.Commitment.id)
    mark = after or before
    if mark is not None:
        # A row value, so both databases seek to it in ix_commitment_overdue_since_id.
        beyond = operator.gt if before is None else operator.lt
        where.append(beyond(tuple_(*order), mark))
    query = select(
        m.Commitment.id,
        m.Commitment.cycle_id,
        m.Commitment.regency_code,
        m.Commitment.regency_name,
        m.Commitment.stage,
        m.Commitment.deadlines,
        m.Commitment.overdue_since,
        m.Commitment.updated_at,
    ).where(*where)
    if strategic_issue is not None:
        query = query.where(
            select(m.ActionItem.id)
            .join(m.PlanVersion, m.ActionItem.version_id == m.PlanVersion.id)
            .where(
                m.PlanVersion.commitment_id == m.Commitment.id,
                m.PlanVersion.number == m.Commitment.latest_version,
                m.ActionItem.strategic_issue == strategic_issue,
            )
            .exists()
        )
    query = query.order_by(*(order if before is None else [c.desc() for c in order]))
    query = query.limit(limit)
    rows = {row.id: OverdueCommitment(*row) for row in session.execute(query)}
    following = [cid for cid, row in rows.items() if row.stage == "follow_up"]
    if following:
        reports = session.execute(
            select(
                m.QuarterlyReport.commitment_id, m.QuarterlyReport.quarter, m.QuarterlyReport.state
            ).where(m.QuarterlyReport.commitment_id.in_(following))
        )
        for commitment_id, quarter, state in reports:
            rows[commitment_id].report_states[quarter] = state
    return list(rows.values())


def cycle_reports(session: Session, *, cycle_id: str) -> Sequence[m.QuarterlyReport]:
    """Every quarterly report of a cycle's commitments."""
    return session.scalars(
        select(m.QuarterlyReport)
        .join(m.Commitment, m.QuarterlyReport.commitment_id == m.Commitment.id)
        .where(m.Commitment.cycle_id == cycle_id)
        .order_by(m.QuarterlyReport.commitment_id, m.QuarterlyReport.quarter)
    ).all()


def reports_by_commitment(session: Session, *, cycle_id: str) -> dict[str, list[m.QuarterlyReport]]:
    """A cycle's quarterly reports in one query, by commitment id, each list by quarter."""
    grouped: dict[str, list[m.QuarterlyReport]] = defaultdict(list)
    for report in cycle_reports(session, cycle_id=cycle_id):
        grouped[report.commitment_id].append(report)
    return dict(grouped)


def list_audit(
    session: Session, *, cycle_id: str, stream: str | None = None
) -> Sequence[m.AuditEvent]:
    """The audit trail of a cycle, or of one commitment in it, in order: the rows that
    stand (`verify_audit_chain` reads the superseded too, `db.records`)."""
    query = select(m.AuditEvent).where(m.AuditEvent.cycle_id == cycle_id, ~m.AuditEvent.superseded)
    if stream is not None:
        query = query.where(m.AuditEvent.stream == stream)
    return session.scalars(query.order_by(m.AuditEvent.occurred_at, m.AuditEvent.id)).all()


def audit_chain_head(session: Session, *, cycle_id: str) -> ChainHead | None:
    """The end of a cycle's audit chain (rows chained, last hash); None before its first row."""
    row = session.get(m.AuditChainHead, cycle_id)
    return ChainHead(length=row.chain_seq, hash=row.hash) if row is not None else None


def audited_cycles(session: Session) -> list[str]:
    """Every cycle id that has, or should have, an audit trail: recorded, with rows or a head."""
    ids = union(
        select(m.AuditEvent.cycle_id), select(m.AuditChainHead.cycle_id), select(m.Cycle.id)
    )
    return sorted(session.scalars(select(ids.subquery().c[0])).all())


def verify_audit_chain(session: Session, *, cycle_id: str) -> ChainCheck:
    """Recompute a cycle's audit chain row by row and compare its end with the head."""
    rows = session.scalars(
        select(m.AuditEvent)
        .where(m.AuditEvent.cycle_id == cycle_id)
        .order_by(m.AuditEvent.chain_seq)
    )
    entries = (AuditEntry.model_validate(row) for row in rows)
    recorded = session.scalar(
        select(func.count()).select_from(m.Commitment).where(m.Commitment.cycle_id == cycle_id)
    )
    head = audit_chain_head(session, cycle_id=cycle_id) or EMPTY_CHAIN
    return verify_chain(entries, head, recorded=recorded or 0)


def count_audit(session: Session, *, cycle_id: str | None = None) -> int:
    """How many audit rows there are, in one cycle or in all."""
    query = select(func.count()).select_from(m.AuditEvent)
    if cycle_id is not None:
        query = query.where(m.AuditEvent.cycle_id == cycle_id)
    return session.scalar(query) or 0


# --- each person's tasks (services.tasks) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskCommitment:
    """What a person's task list needs of an open commitment, read as plain columns."""

    id: str
    cycle_id: str
    regency_code: str
    regency_name: str
    stage: str
    round: int
    document_hash: str | None
    deadlines: dict[str, Any]
    overdue_since: datetime | None
    updated_at: datetime
    report_states: dict[int, str] = field(default_factory=dict)
    """The state of each quarter's report, for a commitment in follow-up."""


def reviewed_by(reviewer_regency: str | None) -> Any:
    """The commitments a reviewer reviews, as a condition (`domain.roles.reviews`): a bound
    reviewer's own party's; an unbound one's, every regency's (a code with a dot), never
    a province's."""
    if reviewer_regency is not None:
        return m.Commitment.regency_code == reviewer_regency
    return m.Commitment.regency_code.contains(".")


def task_commitments(
    session: Session,
    *,
    stages: Sequence[str],
    regency_code: str | None = None,
    reviewer: bool = False,
) -> list[TaskCommitment]:
    """Commitments in the given stages (of one regency, or all), with their reports' states;
    with `reviewer`, those a reviewer bound to `regency_code` (or to none) reviews.

    Two queries at most: the commitments, and the reports of those in follow-up.
    """
    query = select(
        m.Commitment.id,
        m.Commitment.cycle_id,
        m.Commitment.regency_code,
        m.Commitment.regency_name,
        m.Commitment.stage,
        m.Commitment.round,
        m.Commitment.document_hash,
        m.Commitment.deadlines,
        m.Commitment.overdue_since,
        m.Commitment.updated_at,
    ).where(m.Commitment.stage.in_(stages))
    if reviewer:
        query = query.where(reviewed_by(regency_code))
    elif regency_code is not None:
        query = query.where(m.Commitment.regency_code == regency_code)
    rows = {row.id: TaskCommitment(*row) for row in session.execute(query)}
    following = [cid for cid, row in rows.items() if row.stage == "follow_up"]
    if following:
        reports = session.execute(
            select(
                m.QuarterlyReport.commitment_id, m.QuarterlyReport.quarter, m.QuarterlyReport.state
            ).where(m.QuarterlyReport.commitment_id.in_(following))
        )
        for commitment_id, quarter, state in reports:
            rows[commitment_id].report_states[quarter] = state
    return list(rows.values())


@dataclass(frozen=True, slots=True)
class WaitingReport:
    """A quarterly report submitted and waiting for the reviewer."""

    commitment_id: str
    cycle_id: str
    regency_code: str
    regency_name: str
    quarter: int
    submitted_at: datetime | None


def _waiting(reviewer_regency: str | None) -> Any:
    """The reports waiting for verification in a commitment still in follow-up (a withdrawn
    or cancelled one may have left one waiting), of the commitments the reviewer reviews."""
    return (
        select(m.QuarterlyReport.commitment_id)
        .join(m.Commitment, m.QuarterlyReport.commitment_id == m.Commitment.id)
        .where(
            m.QuarterlyReport.state == "submitted",
            m.Commitment.stage == "follow_up",
            reviewed_by(reviewer_regency),
        )
    )


def waiting_reports(
    session: Session, *, limit: int, reviewer_regency: str | None = None
) -> list[WaitingReport]:
    """The `limit` reports waiting longest for verification by a reviewer (bound to
    `reviewer_regency`, or to none); one query, along the index."""
    query = (
        _waiting(reviewer_regency)
        .add_columns(
            m.Commitment.cycle_id,
            m.Commitment.regency_code,
            m.Commitment.regency_name,
            m.QuarterlyReport.quarter,
            m.QuarterlyReport.submitted_at,
        )
        .order_by(m.QuarterlyReport.submitted_at, m.QuarterlyReport.commitment_id)
        .limit(limit)
    )
    return [WaitingReport(*row) for row in session.execute(query)]


def count_waiting_reports(
    session: Session, *, since: datetime | None, reviewer_regency: str | None = None
) -> tuple[int, int]:
    """How many reports wait for verification by a reviewer (bound to `reviewer_regency`, or
    to none), and how many were submitted after `since`."""
    submitted = m.QuarterlyReport.submitted_at
    newly = submitted > since if since is not None else submitted.is_not(None)
    counted = _waiting(reviewer_regency).with_only_columns(
        func.count(), func.count(case((newly, 1)))
    )
    total, new = session.execute(counted).one()
    return int(total or 0), int(new or 0)


def count_new_for_reviewer(
    session: Session, *, since: datetime | None, reviewer_regency: str | None = None
) -> int:
    """Commitments that came into review, and reports submitted, after `since` (all if None),
    of those a reviewer (bound to `reviewer_regency`, or to none) reviews."""
    reviews = (
        select(func.count())
        .select_from(m.Commitment)
        .where(m.Commitment.stage == "review", reviewed_by(reviewer_regency))
    )
    if since is not None:
        reviews = reviews.where(m.Commitment.updated_at > since)
    waiting = count_waiting_reports(session, since=since, reviewer_regency=reviewer_regency)
    return (session.scalar(reviews) or 0) + waiting[1]


def _count_overdue(newly: ColumnElement[bool]) -> Select[int, int]:
    overdue = _commitment.overdue_since
    return select(func.count(), func.count(case((newly, 1)))).where(overdue.is_not(None))


# Built once: a manager's header counts them on every page.
_COUNT_OVERDUE_SINCE = _count_overdue(_commitment.overdue_since > bindparam("since"))
_COUNT_OVERDUE = _count_overdue(_commitment.overdue_since.is_not(None))


def count_overdue(session: Session, *, since: datetime | None) -> tuple[int, int]:
    """How many commitments are overdue, and how many of them fell overdue after `since`."""
    if since is None:
        total, new = session.execute(_COUNT_OVERDUE).one()
    else:
        total, new = session.execute(_COUNT_OVERDUE_SINCE, {"since": since}).one()
    return int(total or 0), int(new or 0)


@dataclass(frozen=True, slots=True)
class CycleTerms:
    """What the task list needs of a cycle: its name, who signs in what order, when reports open."""

    id: str
    name: str
    year: int
    signatories: list[str]
    ordered_signing: bool
    report_opens: list[str | None]
    """Per quarter, when its report opens (ISO text); None where the schedule has no opening."""


def cycle_terms(session: Session, *, cycle_ids: Sequence[str]) -> dict[str, CycleTerms]:
    """Name and signing and reporting terms of the given cycles, read from their specs' parts.

    A spec holds every regency of its cycle; only the parts named are read out of it.
    """
    if not cycle_ids:
        return {}
    query = select(
        m.Cycle.id,
        m.Cycle.name,
        m.Cycle.year,
        m.Cycle.spec["signatories"],
        m.Cycle.spec["ordered_signing"],
        m.Cycle.spec[("schedule", "quarters")],
    ).where(m.Cycle.id.in_(list(cycle_ids)))
    terms = {}
    for cycle_id, name, year, signatories, ordered, quarters in session.execute(query):
        opens = [q.get("opens") for q in quarters or []]
        terms[cycle_id] = CycleTerms(
            cycle_id, name, year, list(signatories or []), bool(ordered), opens
        )
    return terms


def signed_offices(session: Session, *, commitment_ids: Sequence[str]) -> dict[str, set[str]]:
    """The offices that have signed each commitment's current approved document."""
    if not commitment_ids:
        return {}
    rows = session.execute(
        select(m.Signature.commitment_id, m.Signature.office)
        .join(m.Commitment, m.Signature.commitment_id == m.Commitment.id)
        .where(
            m.Signature.commitment_id.in_(list(commitment_ids)),
            m.Signature.document_hash == m.Commitment.document_hash,
        )
    )
    signed: dict[str, set[str]] = defaultdict(set)
    for commitment_id, office in rows:
        signed[commitment_id].add(office)
    return dict(signed)


@dataclass(frozen=True, slots=True)
class FoundCommitment:
    """A commitment found by its regency's name or code, in a cycle that has not ended."""

    id: str
    cycle_id: str
    cycle_name: str
    cycle_year: int
    regency_code: str
    regency_name: str
    stage: str
    round: int
    next_due_at: datetime | None
    overdue_since: datetime | None


def search_commitments(
    session: Session,
    *,
    name: str,
    code_prefix: str | None,
    regency_code: str | None = None,
    limit: int,
) -> list[FoundCommitment]:
    """Commitments of running cycles whose regency's name contains `name` (any case) or whose
    code starts with `code_prefix`; newest cycle first, then by regency code."""
    escaped = name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    matches: ColumnElement[bool] = func.lower(m.Commitment.regency_name).like(
        f"%{escaped}%", escape="\\"
    )
    if code_prefix is not None:
        matches = or_(matches, m.Commitment.regency_code.startswith(code_prefix, autoescape=True))
    query = (
        select(
            m.Commitment.id,
            m.Commitment.cycle_id,
            m.Cycle.name,
            m.Cycle.year,
            m.Commitment.regency_code,
            m.Commitment.regency_name,
            m.Commitment.stage,
            m.Commitment.round,
            m.Commitment.next_due_at,
            m.Commitment.overdue_since,
        )
        .join(m.Cycle, m.Commitment.cycle_id == m.Cycle.id)
        .where(m.Cycle.ended_at.is_(None), matches)
        .order_by(m.Cycle.started_at.desc(), m.Commitment.regency_code)
        .limit(limit)
    )
    if regency_code is not None:
        query = query.where(m.Commitment.regency_code == regency_code)
    return [FoundCommitment(*tuple(row)) for row in session.execute(query)]


def running_cycle_names(session: Session) -> list[tuple[str, str, int]]:
    """(id, name, year) of every cycle that has not ended, newest first; no spec is read."""
    query = (
        select(m.Cycle.id, m.Cycle.name, m.Cycle.year)
        .where(m.Cycle.ended_at.is_(None))
        .order_by(m.Cycle.started_at.desc())
    )
    return [(cycle_id, name, year) for cycle_id, name, year in session.execute(query)]


def unfinished_items(
    session: Session, *, cycle_id: str
) -> dict[str, list[tuple[m.ActionItem, Decimal]]]:
    """Per party code, the items of each signed plan of a cycle that were not verified at
    100 %, each with its latest verified realisation (0 if never verified), in order.

    A plan counts once fully signed (its commitment reached follow-up, and may have
    completed since); an item's realisation is the one of the latest verified report
    that names it.
    """
    signed = session.execute(
        select(m.Commitment.id, m.Commitment.regency_code, m.Commitment.approved_version).where(
            m.Commitment.cycle_id == cycle_id,
            m.Commitment.stage.in_(["follow_up", "completed"]),
            m.Commitment.approved_version.is_not(None),
        )
    ).all()
    items = items_of_versions(session, versions={row.id: row.approved_version for row in signed})
    realised: dict[str, dict[int, Decimal]] = defaultdict(dict)
    verified = session.execute(
        select(m.QuarterlyReport.commitment_id, m.QuarterlyReport.items)
        .where(
            m.QuarterlyReport.commitment_id.in_([row.id for row in signed]),
            m.QuarterlyReport.state == "verified",
        )
        .order_by(m.QuarterlyReport.commitment_id, m.QuarterlyReport.quarter)
    )
    for commitment_id, reported in verified:
        for entry in reported or []:
            position = int(entry["item_position"])
            realised[commitment_id][position] = Decimal(str(entry["percent_realised"]))
    unfinished: dict[str, list[tuple[m.ActionItem, Decimal]]] = {}
    for row in signed:
        percents = realised.get(row.id, {})
        left = [
            (item, percents.get(item.position, Decimal(0)))
            for item in items.get(row.id, [])
            if percents.get(item.position, Decimal(0)) < 100
        ]
        if left:
            unfinished[row.regency_code] = left
    return unfinished


def signed_commitments(
    session: Session, *, cycle_id: str, stages: Sequence[str]
) -> list[tuple[str, str, int | None]]:
    """(id, regency code, approved version's id) of a cycle's commitments in `stages`
    with an approved version (whose id is None should it not be recorded).

    The version is found per commitment by its unique (commitment_id, number); joined
    instead, PostgreSQL hashed every version ever saved.
    """
    approved = (
        select(m.PlanVersion.id)
        .where(
            m.PlanVersion.commitment_id == m.Commitment.id,
            m.PlanVersion.number == m.Commitment.approved_version,
        )
        .scalar_subquery()
    )
    query = select(m.Commitment.id, m.Commitment.regency_code, approved).where(
        m.Commitment.cycle_id == cycle_id,
        m.Commitment.stage.in_(stages),
        m.Commitment.approved_version.is_not(None),
    )
    return [(cid, code, version) for cid, code, version in session.execute(query)]


_STANDING = m.Base.metadata.tables[m.ItemStanding.__tablename__]
_OUTCOME = m.Base.metadata.tables[m.ItemOutcome.__tablename__]
_PART = m.Base.metadata.tables[m.RecapPart.__tablename__]


@dataclass(frozen=True, slots=True)
class RecapFigures:
    """The summed recap_part rows of one group (`recap_figures`); amounts in cents,
    percents in hundredths, as they are kept."""

    kind: str
    code: str
    items: int
    parties: list[str]
    budget_cents: int
    realised_cents: int
    percent_hundredths: int
    done: int
    behind: int
    behind_parties: list[str]
    carried: int


def _joined(column: Any, dialect: str) -> Any:
    """The values of a column of short codes joined by commas."""
    if dialect == "postgresql":
        return func.string_agg(column, literal_column("','"))
    return func.group_concat(column)


def recap_figures(
    session: Session,
    *,
    cycle_id: str,
    quarter: int,
    kinds: Sequence[str],
    parties: Sequence[str] | None = None,
) -> list[RecapFigures]:
    """The province recap's sums of a cycle at the end of `quarter`, per (kind, code) of
    `kinds` (a kind's total included), over the parties named (None: every party
    counted): one range of recap_part's key, read in order. Groups without items have
    no row."""
    p = _PART.c
    dialect = session.get_bind().dialect.name
    query = (
        select(
            p.kind,
            p.code,
            func.sum(p["items"]),
            _joined(p.party, dialect),
            func.sum(p.budget_cents),
            func.sum(p.realised_cents),
            func.sum(p.percent_hundredths),
            func.sum(p.done),
            func.sum(p.behind),
            _joined(case((p.behind > 0, p.party)), dialect),
            func.sum(p.carried),
        )
        .where(p.cycle_id == cycle_id, p.quarter == quarter, p.kind.in_(kinds))
        .group_by(p.kind, p.code)
    )
    if parties is not None:
        query = query.where(p.party.in_(parties))
    return [
        RecapFigures(
            kind=kind,
            code=code,
            items=int(items),
            parties=_codes(named),
            budget_cents=int(budget),
            realised_cents=int(realised),
            percent_hundredths=int(percent),
            done=int(done),
            behind=int(behind),
            behind_parties=_codes(behind_named),
            carried=int(carried),
        )
        for (
            kind,
            code,
            items,
            named,
            budget,
            realised,
            percent,
            done,
            behind,
            behind_named,
            carried,
        ) in session.connection().execute(query)
    ]


def _codes(joined: str | None) -> list[str]:
    """Codes joined by `_joined`, each party's once (a party has one row per group)."""
    return sorted(joined.split(",")) if joined else []


@dataclass(frozen=True, slots=True)
class RecapRow:
    """One item as a recap drill-down lists it (`recap_rows`)."""

    item_id: int
    party: str
    position: int
    activity: str
    strategic_issue: str
    phase: str
    budget_cents: int
    realised_cents: int
    percent_hundredths: int
    expected_hundredths: int
    carried: bool


def recap_rows(
    session: Session,
    *,
    cycle_id: str,
    quarter: int,
    parties: Sequence[str] | None = None,
    outcome: tuple[str, str | None] | None = None,
    issue_phase: tuple[str, str] | None = None,
    only: str | None = None,
) -> list[RecapRow]:
    """The items the recap counts of a cycle at the end of `quarter` (of the parties named;
    None: every party) behind one recap group: serving `outcome` (kind, and code or None
    for any of the kind), of `issue_phase`, or all; `only` "done", "behind" or "carried"
    narrows them to a figure. By party and position."""
    s, o = _STANDING.c, _OUTCOME.c
    item = m.ActionItem
    query = (
        select(
            s.item_id,
            s.party,
            item.position,
            item.activity,
            s.strategic_issue,
            s.phase,
            s.budget_cents,
            s.realised_cents,
            s.percent_hundredths,
            s.expected_hundredths,
            s.carried,
        )
        .join_from(_STANDING, item, item.id == s.item_id)
        .where(s.cycle_id == cycle_id, s.quarter == quarter)
        .order_by(s.party, item.position)
    )
    if parties is not None:
        query = query.where(s.party.in_(parties))
    if outcome is not None:
        kind, code = outcome
        serves = select(o.item_id).where(o.item_id == s.item_id, o.kind == kind)
        query = query.where((serves if code is None else serves.where(o.code == code)).exists())
    if issue_phase is not None:
        query = query.where(s.strategic_issue == issue_phase[0], s.phase == issue_phase[1])
    if only == "done":
        query = query.where(s.percent_hundredths >= DONE_HUNDREDTHS)
    elif only == "behind":
        query = query.where(s.percent_hundredths < s.expected_hundredths)
    elif only == "carried":
        query = query.where(s.carried)
    return [RecapRow(*row) for row in session.execute(query)]


def item_outcomes(session: Session, *, item_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """The (kind, code) outcomes each item serves, sorted; items serving none are absent."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if not item_ids:
        return found
    query = (
        select(m.ItemOutcome.item_id, m.ItemOutcome.kind, m.ItemOutcome.code)
        .where(m.ItemOutcome.item_id.in_(item_ids))
        .order_by(m.ItemOutcome.item_id, m.ItemOutcome.kind, m.ItemOutcome.code)
    )
    for item_id, kind, code in session.execute(query):
        found[item_id].append((kind, code))
    return found
