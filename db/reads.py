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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select, tuple_, union
from sqlalchemy.orm import InstrumentedAttribute, Session

from db import models as m
from domain.audit import EMPTY_CHAIN, AuditEntry, ChainCheck, ChainHead, verify_chain


def list_cycles(session: Session) -> Sequence[m.Cycle]:
    """All cycles, newest first."""
    return session.scalars(select(m.Cycle).order_by(m.Cycle.started_at.desc())).all()


def list_commitments(session: Session, *, cycle_id: str) -> Sequence[m.Commitment]:
    """A cycle's commitments in regency-code order."""
    return session.scalars(
        select(m.Commitment)
        .where(m.Commitment.cycle_id == cycle_id)
        .order_by(m.Commitment.regency_code)
    ).all()


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


def verified_report_counts(session: Session, *, cycle_id: str) -> dict[str, int]:
    """How many quarterly reports each commitment of a cycle has had verified."""
    rows = session.execute(
        select(m.QuarterlyReport.commitment_id, func.count())
        .join(m.Commitment, m.QuarterlyReport.commitment_id == m.Commitment.id)
        .where(m.Commitment.cycle_id == cycle_id, m.QuarterlyReport.state == "verified")
        .group_by(m.QuarterlyReport.commitment_id)
    ).all()
    return {commitment_id: int(count) for commitment_id, count in rows}


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
    """The audit trail of a cycle, or of one commitment in it, in order."""
    query = select(m.AuditEvent).where(m.AuditEvent.cycle_id == cycle_id)
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
