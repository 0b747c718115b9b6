"""Keyword-only functions that read and write Komitmen's records.

Writes are idempotent: each recorded change carries the (stream, seq) of the
workflow event behind it, and a change whose audit row already exists is skipped,
so an activity retry or a workflow replay never writes a second row.

Audit rows are hash-chained per cycle (domain.audit). Appending locks the cycle's
`audit_chain_head` row until commit, so rows recorded at the same moment by many
commitments of one cycle line up one after another, never forking the chain.
"""

from __future__ import annotations

import hashlib
import operator
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    tuple_,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db import models as m
from domain.audit import (
    EMPTY_CHAIN,
    AuditContent,
    AuditEntry,
    ChainCheck,
    ChainHead,
    chain_after,
    verify_chain,
)
from domain.commitment import Audience, Event, ReminderIntent
from domain.cycle import CycleEvent

# The statements every recorded change runs, built once: building and keying a statement
# cost more CPU than SQLite took to run it (bench/lifecycle.py).
_RECORDED = select(
    exists().where(m.AuditEvent.stream == bindparam("stream"), m.AuditEvent.seq == bindparam("seq"))
)
_REPORT = select(m.QuarterlyReport).where(
    m.QuarterlyReport.commitment_id == bindparam("commitment"),
    m.QuarterlyReport.quarter == bindparam("quarter"),
)
_HEAD = m.Base.metadata.tables[m.AuditChainHead.__tablename__]
_TOUCH_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.cycle_id == bindparam("cycle"))
    .values(chain_seq=_HEAD.c.chain_seq)
    .returning(_HEAD.c.chain_seq, _HEAD.c.hash)
)
_MOVE_HEAD = (
    update(_HEAD)
    .where(
        _HEAD.c.cycle_id == bindparam("cycle"),
        _HEAD.c.chain_seq == bindparam("old_seq"),
        _HEAD.c.hash == bindparam("old_hash"),
    )
    .values(chain_seq=bindparam("new_seq"), hash=bindparam("new_hash"))
    .returning(_HEAD.c.chain_seq)
)
_COMMITMENT = m.Base.metadata.tables[m.Commitment.__tablename__]
# Its SET clause is the parameters' other keys. A change older than the row's last one
# leaves the row as it is (workflows record in order; a retry finds its row recorded).
_PROJECT = update(_COMMITMENT).where(
    _COMMITMENT.c.id == bindparam("key"), _COMMITMENT.c.last_seq <= bindparam("upto")
)
_INSERT_AUDIT = insert(m.Base.metadata.tables[m.AuditEvent.__tablename__])


def _already_recorded(session: Session, *, stream: str, seq: int) -> bool:
    return bool(session.scalar(_RECORDED, {"stream": stream, "seq": seq}))


def record_cycle_event(session: Session, *, event: CycleEvent) -> bool:
    """Record a cycle-level change (started, cancelled, completed); False if already done."""
    stream = f"cycle:{event.cycle_id}"
    if _already_recorded(session, stream=stream, seq=event.seq):
        return False
    spec = event.spec
    cycle = session.get(m.Cycle, event.cycle_id)
    if cycle is None:
        assert spec is not None, "a cycle's first event carries its spec"
        cycle = m.Cycle(
            id=event.cycle_id,
            name=spec.name,
            year=spec.year,
            status=event.status,
            spec=spec.model_dump(mode="json"),
            started_by=event.actor.name,
            started_at=event.occurred_at,
            ended_at=None,
        )
        session.add(cycle)
    cycle.status = event.status
    if event.ended:
        cycle.ended_at = event.occurred_at
    session.flush()
    _append_audit(
        session,
        AuditContent(
            cycle_id=event.cycle_id,
            stream=stream,
            seq=event.seq,
            action=event.action,
            actor=event.actor.name,
            actor_role=event.actor.role.value,
            from_stage=None,
            to_stage=None,
            detail={"reason": event.reason, **event.detail},
            occurred_at=event.occurred_at,
        ),
    )
    return True


def record_event(
    session: Session, *, event: Event, regency_name: str, signature_title: str | None = None
) -> bool:
    """Record one commitment change and its payload; False if it was recorded before."""
    if _already_recorded(session, stream=event.commitment_id, seq=event.seq):
        return False
    _project_commitment(session, event=event, regency_name=regency_name)
    if event.plan is not None:
        _record_version(session, event=event)
    for position, comment in enumerate(event.comments, start=1):
        session.add(
            m.ReviewComment(
                commitment_id=event.commitment_id,
                event_seq=event.seq,
                position=position,
                round=event.reviewed_round or event.round,
                version=event.version,
                item_position=comment.item_position,
                text=comment.text,
                author=event.actor.name,
                created_at=event.occurred_at,
            )
        )
    if event.signature is not None:
        sig = event.signature
        session.add(
            m.Signature(
                commitment_id=event.commitment_id,
                version=sig.version,
                office=sig.office,
                title=signature_title or sig.office,
                signer_name=sig.signer_name,
                acting=sig.acting.value,
                nip=sig.nip,
                document_hash=sig.document_hash,
                signed_at=sig.signed_at,
            )
        )
    if event.quarter is not None:
        _record_report(session, event=event)
    session.flush()
    _append_audit(
        session,
        AuditContent(
            cycle_id=event.cycle_id,
            stream=event.commitment_id,
            seq=event.seq,
            action=event.action,
            actor=event.actor.name,
            actor_role=event.actor.role.value,
            from_stage=event.from_stage.value,
            to_stage=event.to_stage.value,
            detail=_audit_detail(event),
            occurred_at=event.occurred_at,
        ),
    )
    return True


class AuditChainMoved(RuntimeError):
    """The chain head moved under a held lock; the transaction must roll back and retry."""


def _insert(session: Session, model: type[m.Base]) -> Any:
    """An INSERT of the session's dialect, which can say ON CONFLICT DO NOTHING."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def _lock_chain_head(session: Session, *, cycle_id: str) -> ChainHead:
    # Reading the head through an update that changes nothing is a write: on SQLite it
    # takes the database's write lock before the head is read, and PostgreSQL locks the
    # row. Either way no other transaction can append to this cycle until this one ends.
    # A cycle's first row finds no head: the empty one is inserted (or found, if another
    # transaction inserted it first) and read the same way.
    row = session.execute(_TOUCH_HEAD, {"cycle": cycle_id}).one_or_none()
    if row is None:
        session.execute(
            _insert(session, m.AuditChainHead)
            .values(cycle_id=cycle_id, chain_seq=EMPTY_CHAIN.length, hash=EMPTY_CHAIN.hash)
            .on_conflict_do_nothing(index_elements=["cycle_id"])
        )
        row = session.execute(_TOUCH_HEAD, {"cycle": cycle_id}).one()
    return ChainHead(length=row.chain_seq, hash=row.hash)


def _append_audit(session: Session, content: AuditContent) -> None:
    """Chain an audit row after its cycle's head and move the head to it."""
    head = _lock_chain_head(session, cycle_id=content.cycle_id)
    link = chain_after(head, content)
    session.execute(_INSERT_AUDIT, {**dict(content), **dict(link)})
    # Guarded by the old head as well as the lock: a fork can never be committed.
    moved = session.scalar(
        _MOVE_HEAD,
        {
            "cycle": content.cycle_id,
            "old_seq": head.length,
            "old_hash": head.hash,
            "new_seq": link.chain_seq,
            "new_hash": link.hash,
        },
    )
    if moved is None:
        raise AuditChainMoved(f"the audit chain of cycle {content.cycle_id} moved while locked")


def _audit_detail(event: Event) -> dict[str, Any]:
    detail: dict[str, Any] = {"round": event.round, "version": event.version}
    if event.reason:
        detail["reason"] = event.reason
    if event.quarter is not None:
        detail["quarter"] = event.quarter
        detail["report_state"] = event.report_state
        detail["timeliness"] = event.report_timeliness
    if event.signature is not None:
        detail["office"] = event.signature.office
        detail["acting"] = event.signature.acting.value
        detail["document_hash"] = event.signature.document_hash
    if event.comments:
        detail["comments"] = len(event.comments)
        detail["reviewed_round"] = event.reviewed_round
    return detail


def _project_commitment(session: Session, *, event: Event, regency_name: str) -> None:
    values = {
        "stage": event.to_stage.value,
        "round": event.round,
        "latest_version": event.version,
        "approved_version": event.approved_version,
        "document_hash": event.document_hash,
        "next_due_at": event.next_due_at,
        "overdue_since": event.overdue_since,
        "deadlines": {k.value: v.isoformat() for k, v in event.deadlines.items()},
        "last_seq": event.seq,
        "updated_at": event.occurred_at,
    }
    params = {"key": event.commitment_id, "upto": event.seq, **values}
    moved = cast(CursorResult[Any], session.execute(_PROJECT, params))
    if moved.rowcount == 0:
        # No row yet (the commitment's first change), or a newer change holds it.
        session.execute(
            _insert(session, m.Commitment)
            .values(
                id=event.commitment_id,
                cycle_id=event.cycle_id,
                regency_code=event.regency_code,
                regency_name=regency_name,
                **values,
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )


def _record_version(session: Session, *, event: Event) -> None:
    assert event.plan is not None
    version = m.PlanVersion(
        commitment_id=event.commitment_id,
        number=event.version,
        round=event.round,
        saved_by=event.actor.name,
        saved_at=event.occurred_at,
    )
    session.add(version)
    session.flush()
    for position, item in enumerate(event.plan.items, start=1):
        session.add(
            m.ActionItem(
                version_id=version.id,
                position=position,
                strategic_issue=item.strategic_issue.value,
                phase=item.phase.value,
                activity=item.activity,
                indicator=item.indicator,
                target_value=item.target_value,
                target_unit=item.target_unit,
                due_quarters=list(item.due_quarters),
                responsible_unit=item.responsible_unit,
                partners=[p.value for p in item.partners],
                budget_rp=item.budget_rp,
                budget_source=item.budget_source.value,
                location=item.location,
            )
        )


def _record_report(session: Session, *, event: Event) -> None:
    assert event.quarter is not None and event.report_state is not None
    assert event.report_timeliness is not None
    row = session.scalar(_REPORT, {"commitment": event.commitment_id, "quarter": event.quarter})
    if row is None:
        row = m.QuarterlyReport(commitment_id=event.commitment_id, quarter=event.quarter, items=[])
        session.add(row)
    row.state = event.report_state.value
    row.timeliness = event.report_timeliness.value
    if event.report is not None:
        row.items = [i.model_dump(mode="json") for i in event.report.items]
        row.submitted_by = event.actor.name
        row.submitted_at = event.occurred_at
        row.return_reason = None
    if event.action == "verify_report":
        row.verified_by = event.actor.name
        row.verified_at = event.occurred_at
    if event.action == "return_report":
        row.return_reason = event.reason


# --- people and reminders -------------------------------------------------------------


def add_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    email: str,
    role: str,
    regency_code: str | None,
    office: str | None,
    acting: str = "definitive",
    nip: str | None = None,
    language: str = "id",
    now: datetime,
) -> m.UserAccount:
    """Create a user account."""
    user = m.UserAccount(
        username=username,
        full_name=full_name,
        email=email,
        role=role,
        regency_code=regency_code,
        office=office,
        acting=acting,
        nip=nip,
        language=language,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, *, username: str) -> m.UserAccount | None:
    """The active user with this username, if any."""
    return session.scalar(
        select(m.UserAccount).where(
            m.UserAccount.username == username, m.UserAccount.active.is_(True)
        )
    )


def list_users(session: Session, *, regency_code: str | None = None) -> Sequence[m.UserAccount]:
    """Active users, optionally only those of one regency."""
    query = select(m.UserAccount).where(m.UserAccount.active.is_(True))
    if regency_code is not None:
        query = query.where(m.UserAccount.regency_code == regency_code)
    return session.scalars(query.order_by(m.UserAccount.regency_code, m.UserAccount.username)).all()


def recipients(
    session: Session, *, audience: Audience, regency_code: str, offices: Sequence[str] = ()
) -> Sequence[m.UserAccount]:
    """The people of an audience for one regency's commitment."""
    query = select(m.UserAccount).where(m.UserAccount.active.is_(True))
    regency = m.UserAccount.regency_code == regency_code
    match audience:
        case Audience.REGENCY_OFFICER:
            query = query.where(m.UserAccount.role == "regency_officer", regency)
        case Audience.SIGNATORY:
            query = query.where(
                m.UserAccount.role == "signatory", regency, m.UserAccount.office.in_(offices)
            )
        case Audience.REGENCY_HEAD:
            query = query.where(
                m.UserAccount.role == "signatory", regency, m.UserAccount.office == "bpbd_head"
            )
        case Audience.REVIEWER:
            query = query.where(m.UserAccount.role == "reviewer")
        case Audience.MANAGER:
            query = query.where(m.UserAccount.role == "manager")
    return session.scalars(query.order_by(m.UserAccount.id)).all()


def claim_message(
    session: Session,
    *,
    commitment_id: str,
    kind: str,
    dedupe_key: str,
    recipient: str,
    message_id: str,
    now: datetime,
    intent: ReminderIntent | None = None,
) -> bool:
    """Note a message to one person before sending it; False if it was sent already."""
    row = session.scalar(
        select(m.ReminderSent).where(
            m.ReminderSent.dedupe_key == dedupe_key, m.ReminderSent.recipient == recipient
        )
    )
    if row is None:
        session.add(
            m.ReminderSent(
                commitment_id=commitment_id,
                kind=kind,
                dedupe_key=dedupe_key,
                deadline_key=intent.deadline_key.value if intent else None,
                due_at=intent.due_at if intent else None,
                days=intent.days if intent else None,
                recipient=recipient,
                message_id=message_id,
                created_at=now,
                sent_at=None,
            )
        )
        session.flush()
        return True
    if row.sent_at is None:
        row.message_id = message_id
        return True
    return False


def mark_sent(session: Session, *, message_id: str, sent_at: datetime) -> None:
    """Mark every reminder carried by one message as sent."""
    session.execute(
        update(m.ReminderSent)
        .where(m.ReminderSent.message_id == message_id)
        .values(sent_at=sent_at)
    )


# --- reads -------------------------------------------------------------------------------


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


def list_versions(session: Session, *, commitment_id: str) -> Sequence[m.PlanVersion]:
    """Every saved version of a commitment, oldest first."""
    return session.scalars(
        select(m.PlanVersion)
        .where(m.PlanVersion.commitment_id == commitment_id)
        .order_by(m.PlanVersion.number)
    ).all()


def list_comments(session: Session, *, commitment_id: str) -> Sequence[m.ReviewComment]:
    """Review comments of a commitment, oldest first."""
    return session.scalars(
        select(m.ReviewComment)
        .where(m.ReviewComment.commitment_id == commitment_id)
        .order_by(m.ReviewComment.event_seq, m.ReviewComment.position)
    ).all()


def list_signatures(session: Session, *, commitment_id: str) -> Sequence[m.Signature]:
    """Signatures of a commitment in the order they were given."""
    return session.scalars(
        select(m.Signature)
        .where(m.Signature.commitment_id == commitment_id)
        .order_by(m.Signature.signed_at)
    ).all()


def list_reports(session: Session, *, commitment_id: str) -> Sequence[m.QuarterlyReport]:
    """Quarterly reports of a commitment by quarter."""
    return session.scalars(
        select(m.QuarterlyReport)
        .where(m.QuarterlyReport.commitment_id == commitment_id)
        .order_by(m.QuarterlyReport.quarter)
    ).all()


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
    """Every cycle id with audit rows or an audit chain head, in order."""
    ids = union(select(m.AuditEvent.cycle_id), select(m.AuditChainHead.cycle_id))
    return sorted(session.scalars(select(ids.subquery().c[0])).all())


def verify_audit_chain(session: Session, *, cycle_id: str) -> ChainCheck:
    """Recompute a cycle's audit chain row by row and compare its end with the head."""
    rows = session.scalars(
        select(m.AuditEvent)
        .where(m.AuditEvent.cycle_id == cycle_id)
        .order_by(m.AuditEvent.chain_seq)
    )
    entries = (AuditEntry.model_validate(row) for row in rows)
    return verify_chain(entries, audit_chain_head(session, cycle_id=cycle_id) or EMPTY_CHAIN)


def list_reminders(session: Session, *, cycle_id: str) -> Sequence[m.ReminderSent]:
    """Reminders and escalations sent for a cycle's commitments."""
    return session.scalars(
        select(m.ReminderSent)
        .join(m.Commitment, m.ReminderSent.commitment_id == m.Commitment.id)
        .where(m.Commitment.cycle_id == cycle_id)
        .order_by(m.ReminderSent.id)
    ).all()


# --- credentials -------------------------------------------------------------------------


def set_password(session: Session, *, username: str, password_hash: str) -> bool:
    """Store a user's password hash (hashed by the caller); False if no such active user."""
    user = get_user(session, username=username)
    if user is None:
        return False
    user.password_hash = password_hash
    session.flush()
    return True


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, *, user_id: int, name: str, now: datetime, lifetime: timedelta | None = None
) -> str:
    """Issue a token valid for `lifetime` (None: until revoked); its text is shown only once."""
    token = secrets.token_urlsafe(32)
    session.add(
        m.ApiToken(
            user_id=user_id,
            token_hash=token_digest(token),
            name=name,
            created_at=now,
            revoked_at=None,
            last_used_at=None,
            expires_at=now + lifetime if lifetime is not None else None,
        )
    )
    session.flush()
    return token


TOKEN_USE_PRECISION = timedelta(minutes=1)
"""How stale a token's `last_used_at` may be."""


def find_user_by_token(session: Session, *, token: str, now: datetime) -> m.UserAccount | None:
    """The active user holding this unrevoked, unexpired token, noting its use; None otherwise."""
    row = session.scalar(
        select(m.ApiToken).where(
            m.ApiToken.token_hash == token_digest(token), m.ApiToken.revoked_at.is_(None)
        )
    )
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    user = session.get(m.UserAccount, row.user_id)
    if user is None or not user.active:
        return None
    # Noted to the minute: a write on every request would make each read a transaction
    # that commits (and on SQLite, takes the database's only write lock).
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_PRECISION:
        row.last_used_at = now
    return user


def revoke_token(session: Session, *, token: str, now: datetime) -> bool:
    """Revoke a token; False if it was unknown or revoked already."""
    row = session.scalar(
        select(m.ApiToken).where(
            m.ApiToken.token_hash == token_digest(token), m.ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return False
    row.revoked_at = now
    return True


def count_audit(session: Session, *, cycle_id: str | None = None) -> int:
    """How many audit rows there are, in one cycle or in all."""
    query = select(func.count()).select_from(m.AuditEvent)
    if cycle_id is not None:
        query = query.where(m.AuditEvent.cycle_id == cycle_id)
    return session.scalar(query) or 0


def recent_login_failures(
    session: Session, *, keys: Sequence[str], since: datetime
) -> list[datetime]:
    """When each failed sign-in under any of the keys happened since `since`, oldest first."""
    return list(
        session.scalars(
            select(m.LoginFailure.failed_at)
            .where(m.LoginFailure.key.in_(keys), m.LoginFailure.failed_at > since)
            .order_by(m.LoginFailure.failed_at)
        )
    )


def note_login_failure(
    session: Session, *, keys: Sequence[str], now: datetime, forget_before: datetime
) -> None:
    """Count a failed sign-in under each key, and forget failures too old to matter."""
    session.execute(delete(m.LoginFailure).where(m.LoginFailure.failed_at <= forget_before))
    session.add_all(m.LoginFailure(key=key, failed_at=now) for key in keys)
    session.flush()


def clear_login_failures(session: Session, *, key: str) -> None:
    """Forget the failed sign-ins under a key (after a successful one)."""
    session.execute(delete(m.LoginFailure).where(m.LoginFailure.key == key))


def find_idempotent_request(
    session: Session, *, user_id: int, key: str
) -> m.IdempotentRequest | None:
    """The request a user sent earlier with this Idempotency-Key, if any."""
    return session.scalar(
        select(m.IdempotentRequest).where(
            m.IdempotentRequest.user_id == user_id, m.IdempotentRequest.key == key
        )
    )


def claim_idempotent_request(
    session: Session, *, user_id: int, key: str, request_hash: str, now: datetime
) -> None:
    """Claim a key for a request being answered; IntegrityError if someone claimed it first."""
    session.add(
        m.IdempotentRequest(
            user_id=user_id,
            key=key,
            request_hash=request_hash,
            status_code=None,
            response=None,
            created_at=now,
        )
    )
    session.flush()


def finish_idempotent_request(
    session: Session, *, user_id: int, key: str, status_code: int, response: dict[str, Any]
) -> None:
    """Store the first answer to a claimed request, to be replayed on repeats."""
    session.execute(
        update(m.IdempotentRequest)
        .where(m.IdempotentRequest.user_id == user_id, m.IdempotentRequest.key == key)
        .values(status_code=status_code, response=response)
    )


def release_idempotent_request(session: Session, *, user_id: int, key: str) -> None:
    """Give a claimed key back (the request failed without an answer; the client may retry)."""
    session.execute(
        delete(m.IdempotentRequest).where(
            m.IdempotentRequest.user_id == user_id,
            m.IdempotentRequest.key == key,
            m.IdempotentRequest.status_code.is_(None),
        )
    )
