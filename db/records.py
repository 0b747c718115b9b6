"""The writer of Komitmen's records: workflow changes projected into tables, and the audit chain.

`record_cycle_event` and `record_event` are the only writes of a cycle's and a commitment's
state. They are idempotent: each recorded change carries the (stream, seq) of the workflow
event behind it, and a change whose audit row already exists is skipped, so an activity
retry or a workflow replay never writes a second row. Audit rows are hash-chained per cycle
(domain.audit); appending locks the cycle's `audit_chain_head` row until commit, so rows
recorded at the same moment by many commitments of one cycle line up one after another,
never forking the chain (`AuditChainMoved` if the head moved under the lock).

A commitment records each change by local activity, inside the workflow task that makes
it, so a worker that dies after the recording commits and before the task completes
leaves rows its workflow never made: the task's next attempt starts again from the last
completed task, later, and may decide otherwise under the same seqs. `record_event`
therefore supersedes (`_supersede`): a change finding rows at its seq or beyond from an
earlier task takes back what they recorded (a plan version, a signature, a report's state,
comments, the notices' claims), marks them superseded, and records itself naming their
hashes. The chain keeps every row, so what was taken back stays provable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, bindparam, delete, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db import mail, standing
from db import models as m
from domain.audit import EMPTY_CHAIN, SUPERSEDES, AuditContent, ChainHead, chain_after
from domain.commitment import DecidedIn, Event
from domain.cycle import CycleEvent
from domain.document import DocumentFormat, bytes_hash, document_bytes, verification_code
from domain.plan import ActionItem
from domain.reports import ReportState

# Statements built once: the ORM's handling of each statement, inside every recording,
# cost more CPU than SQLite took to run it (bench/lifecycle.py).
# Rows that stand, in the words of the partial unique index on (stream, seq), so that the
# databases read them through it.
_STANDING = ~m.AuditEvent.superseded
_RECORDED = select(
    exists().where(
        m.AuditEvent.stream == bindparam("stream"), m.AuditEvent.seq == bindparam("seq"), _STANDING
    )
)
# The rows standing from the seq before a change's on (`_make_room`).
_RECORDED_FROM = (
    select(
        m.AuditEvent.id,
        m.AuditEvent.seq,
        m.AuditEvent.action,
        m.AuditEvent.actor,
        m.AuditEvent.to_stage,
        m.AuditEvent.detail,
        m.AuditEvent.hash,
        m.AuditEvent.undo,
    )
    .where(
        m.AuditEvent.stream == bindparam("stream"),
        m.AuditEvent.seq >= bindparam("before"),
        _STANDING,
    )
    .order_by(m.AuditEvent.seq)
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


log = logging.getLogger(__name__)


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
    session: Session,
    *,
    event: Event,
    regency_name: str,
    signature_title: str | None = None,
    signer_pangkat: str | None = None,
    signer_own_title: str | None = None,
) -> bool:
    """Record one commitment change and its payload; False if it was recorded before.

    With a signature: the office's title that day, and the signer's pangkat and (a.n.)
    own title, which its block prints (`domain.offices.block_lines`).
    """
    superseded = _make_room(session, event)
    if superseded is None:
        return False
    # What recording this change did beside its audit row, for `_take_back`, and the
    # workflow task that decided it, for `_make_room`.
    undo: dict[str, Any] = {}
    if event.decided_in is not None:
        undo["task"] = event.decided_in.model_dump()
    _project_commitment(session, event=event, regency_name=regency_name)
    if event.plan is not None:
        _record_version(session, event=event)
        undo["version"] = event.version
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
                method=sig.method.value,
                evidence_sha256=sig.evidence.sha256 if sig.evidence else None,
                evidence_media_type=sig.evidence.media_type if sig.evidence else None,
                evidence_document_id=sig.evidence.document_id if sig.evidence else None,
                pangkat=signer_pangkat,
                own_title=signer_own_title,
            )
        )
        undo["signature"] = [sig.document_hash, sig.office]
    verified_moved = event.quarter is not None and _record_report(session, event=event, undo=undo)
    session.flush()
    if superseded or verified_moved or _counted_moved(event):
        standing.refresh(session, [event.commitment_id])
    detail = _audit_detail(event)
    if superseded:
        detail[SUPERSEDES] = superseded
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
            detail=detail,
            occurred_at=event.occurred_at,
        ),
        undo=undo or None,
    )
    return True


def _make_room(session: Session, event: Event) -> list[str] | None:
    """Ready the event's seq: None if the event is recorded there already, else the hashes
    of the rows it supersedes (`_supersede`; nearly always none).

    The rows at the seq and after it are read, and the one before if a later task recorded
    it (then this change's task is late, as below). None: nothing to do. The row at the seq
    records this same change (compared as `_same` does; not when): a retried activity, or a
    task's next attempt that decided alike; it stands, and so do rows after it until a
    change arrives for their seq. Any other: they came from a workflow task that never
    completed (a task records only past the last completed task's seq, one change after
    another), so they are superseded, unless one of them was recorded by a later task than
    this change's: then this one comes from such a task, late (its worker lost the server past
    the task's timeout), and is skipped. Which task came later: `DecidedIn`, kept in the
    rows' `undo`.
    """
    found = session.execute(
        _RECORDED_FROM, {"stream": event.commitment_id, "before": event.seq - 1}
    )
    rows, later = [], []
    for row in found:
        if _later(row, event):
            later.append(row)
        elif row.seq < event.seq:
            continue
        rows.append(row)
    if not rows:
        return []
    if rows[0].seq == event.seq and _same(rows[0], event):
        return None
    if later:
        log.warning(
            "%s #%d (%s) is not recorded: #%d was recorded by a later workflow task, so the "
            "task that made this change never completed",
            event.commitment_id,
            event.seq,
            event.action,
            later[0].seq,
        )
        return None
    _supersede(session, event, rows)
    return [row.hash for row in rows]


def _later(row: Row[Any], event: Event) -> bool:
    """Whether the row was recorded by a later workflow task than the one that made the
    event (both known, in one run)."""
    task = row.undo and row.undo.get("task")
    if task is None or event.decided_in is None:
        return False
    return DecidedIn.model_validate(task).later_than(event.decided_in)


def _same(row: Row[Any], event: Event) -> bool:
    """Whether an audit row records the event's change: the action, actor, stage reached
    and details (round, version, a report's state and timeliness, ...), not when."""
    # Compared as stored: the detail went through JSON (tuples came back as lists).
    recorded = {k: v for k, v in row.detail.items() if k != SUPERSEDES}
    now = json.loads(json.dumps(_audit_detail(event)))
    return (row.action, row.actor, row.to_stage, recorded) == (
        event.action,
        event.actor.name,
        event.to_stage.value,
        now,
    )


def _supersede(session: Session, event: Event, rows: Sequence[Row[Any]]) -> None:
    """Take back what the rows recorded, newest first, and mark them superseded.

    Their notices' claims are set aside (`db.mail.set_aside`), so that the change recorded
    in their place is told as any other: a notice the lost task sent may have gone out,
    and its reader gets the one that stands after it.
    """
    cid = event.commitment_id
    for row in reversed(rows):
        _take_back(session, cid, row.seq, row.undo)
    session.execute(
        update(m.AuditEvent)
        .where(m.AuditEvent.id.in_([row.id for row in rows]))
        .values(superseded=True)
    )
    for row in rows:
        mail.set_aside(session, commitment_id=cid, seq=row.seq, tag=row.hash[:12])
    # The projection follows the change recorded next, at this seq.
    session.execute(
        update(_COMMITMENT).where(_COMMITMENT.c.id == cid).values(last_seq=event.seq - 1)
    )
    log.error(
        "%s %s (%s) recorded by a workflow task that never completed; its next attempt "
        "makes #%d %s by %s: superseded",
        cid,
        ", ".join(f"#{row.seq}" for row in rows),
        ", ".join(row.action for row in rows),
        event.seq,
        event.action,
        event.actor.name,
    )


def _take_back(session: Session, cid: str, seq: int, undo: dict[str, Any] | None) -> None:
    """Undo what recording change `seq` did beside its audit row (its `undo`): the plan
    version it saved, the signature it added, the report state it replaced, its comments.

    Rows recorded before `undo` was kept say nothing: their comments go, the rest stays.
    """
    session.execute(
        delete(m.ReviewComment).where(
            m.ReviewComment.commitment_id == cid, m.ReviewComment.event_seq == seq
        )
    )
    if undo is None:
        log.warning("%s #%d was recorded before its undo was kept: only its comments go", cid, seq)
        return
    if "version" in undo:
        _drop_version(session, cid, undo["version"])
    if "signature" in undo:
        document_hash, office = undo["signature"]
        session.execute(
            delete(m.Signature).where(
                m.Signature.commitment_id == cid,
                m.Signature.document_hash == document_hash,
                m.Signature.office == office,
            )
        )
    if "report" in undo:
        _restore_report(session, cid, undo["report"]["quarter"], undo["report"]["before"])


def _drop_version(session: Session, cid: str, number: int) -> None:
    """Delete a saved plan version with its items and what hangs off them."""
    version_id = session.scalar(
        select(m.PlanVersion.id).where(
            m.PlanVersion.commitment_id == cid, m.PlanVersion.number == number
        )
    )
    if version_id is None:
        return
    items = select(m.ActionItem.id).where(m.ActionItem.version_id == version_id)
    session.execute(delete(m.ItemStanding).where(m.ItemStanding.item_id.in_(items)))
    session.execute(delete(m.ItemOutcome).where(m.ItemOutcome.item_id.in_(items)))
    session.execute(delete(m.ActionItem).where(m.ActionItem.version_id == version_id))
    session.execute(delete(m.PlanVersion).where(m.PlanVersion.id == version_id))


# A report's columns a change may set, as `_record_report` writes them.
_REPORT_STATE = (
    "state",
    "timeliness",
    "items",
    "submitted_by",
    "submitted_at",
    "verified_by",
    "verified_at",
    "return_reason",
)
_REPORT_TIMES = frozenset({"submitted_at", "verified_at"})


def _report_state(row: m.QuarterlyReport) -> dict[str, Any]:
    """A report row's state as JSON, for `undo`."""
    state = {name: getattr(row, name) for name in _REPORT_STATE}
    for name in _REPORT_TIMES:
        state[name] = state[name] and state[name].isoformat()
    return state


def _restore_report(
    session: Session, cid: str, quarter: int, before: dict[str, Any] | None
) -> None:
    """Put a report back as it was before a change (None: there was none)."""
    where = (m.QuarterlyReport.commitment_id == cid, m.QuarterlyReport.quarter == quarter)
    if before is None:
        session.execute(delete(m.QuarterlyReport).where(*where))
        return
    values = dict(before)
    for name in _REPORT_TIMES:
        values[name] = values[name] and datetime.fromisoformat(values[name])
    session.execute(update(m.QuarterlyReport).where(*where).values(**values))


def _counted_moved(event: Event) -> bool:
    """Whether the commitment entered or left the stages the recap counts its plan in
    (`db.standing`): the recap's rows exist only in those stages."""
    counted = standing.COUNTED_STAGES
    return (event.to_stage.value in counted) != (event.from_stage.value in counted)


class AuditChainMoved(RuntimeError):
    """The chain head moved under a held lock; the transaction must roll back and retry."""


def dialect_insert(session: Session, model: type[m.Base]) -> Any:
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
            dialect_insert(session, m.AuditChainHead)
            .values(cycle_id=cycle_id, chain_seq=EMPTY_CHAIN.length, hash=EMPTY_CHAIN.hash)
            .on_conflict_do_nothing(index_elements=["cycle_id"])
        )
        row = session.execute(_TOUCH_HEAD, {"cycle": cycle_id}).one()
    return ChainHead(length=row.chain_seq, hash=row.hash)


def _append_audit(
    session: Session, content: AuditContent, undo: dict[str, Any] | None = None
) -> None:
    """Chain an audit row after its cycle's head and move the head to it."""
    head = _lock_chain_head(session, cycle_id=content.cycle_id)
    link = chain_after(head, content)
    session.execute(_INSERT_AUDIT, {**dict(content), **dict(link), "undo": undo})
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


def append_audit(session: Session, content: AuditContent) -> bool:
    """Chain a row the services write themselves (evidence attached or removed) after its
    cycle's head; False if its (stream, seq) is there already (a retried request)."""
    if _already_recorded(session, stream=content.stream, seq=content.seq):
        return False
    _append_audit(session, content)
    return True


def _audit_detail(event: Event) -> dict[str, Any]:
    detail: dict[str, Any] = {"round": event.round, "version": event.version}
    if event.reason:
        detail["reason"] = event.reason
    if event.carried_from:
        detail["carried_from"] = event.carried_from
    if event.quarter is not None:
        detail["quarter"] = event.quarter
        detail["report_state"] = event.report_state
        detail["timeliness"] = event.report_timeliness
    if event.report is not None and any(item.files for item in event.report.items):
        # The evidence a report names is in the chain: a file verified can be proven later.
        detail["evidence"] = {
            str(item.item_position): list(item.files) for item in event.report.items if item.files
        }
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
            dialect_insert(session, m.Commitment)
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
    # The workflow hashed the plan in this format; the bytes are kept so that anyone can
    # fetch them and recompute the hash. Events from before formats were numbered (no
    # document_format) were written in the typed format, and carried no hash to check.
    written = event.document_format or DocumentFormat.TYPED
    content = document_bytes(
        cycle_id=event.cycle_id,
        regency_code=event.regency_code,
        version=event.version,
        plan=event.plan,
        document_format=written,
    )
    digest = bytes_hash(content)
    if event.version_hash is not None and digest != event.version_hash:
        raise ValueError(
            f"{event.commitment_id} version {event.version}: the document recorded hashes "
            f"{digest}, the workflow's {event.version_hash}"
        )
    version = m.PlanVersion(
        commitment_id=event.commitment_id,
        number=event.version,
        round=event.round,
        saved_by=event.actor.name,
        saved_at=event.occurred_at,
        document_format=int(written),
        document=content,
        document_hash=digest,
        verify_code=verification_code(digest),
    )
    session.add(version)
    session.flush()
    rows = [
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
            **_format_3_fields(item),
        )
        for position, item in enumerate(event.plan.items, start=1)
    ]
    session.add_all(rows)
    _record_outcomes(session, rows, event.plan.items)


def _format_3_fields(item: ActionItem) -> dict[str, Any]:
    """The item's format-3 fields as columns; all NULL for an item that uses none."""
    if not item.extended:
        return {}
    return {
        "outcomes": None if item.outcomes.empty else item.outcomes.model_dump(mode="json"),
        "baseline": item.baseline,
        "quarter_targets": [None if t is None else str(t) for t in item.quarter_targets] or None,
        "carried_from": None
        if item.carried_from is None
        else item.carried_from.model_dump(mode="json"),
    }


def _record_outcomes(
    session: Session, rows: Sequence[m.ActionItem], items: Sequence[ActionItem]
) -> None:
    """One item_outcome row per outcome each item serves (what the recap groups by)."""
    linked = [(row, item) for row, item in zip(rows, items, strict=True) if not item.outcomes.empty]
    if not linked:
        return
    session.flush()  # the items' ids
    session.add_all(
        m.ItemOutcome(item_id=row.id, kind=kind, code=code)
        for row, item in linked
        for kind, code in item.outcomes.keys()
    )


def _record_report(session: Session, *, event: Event, undo: dict[str, Any]) -> bool:
    """Record a report's change, and in `undo` the report as it was; whether a verified
    report (what the recap counts) came or went, or changed."""
    assert event.quarter is not None and event.report_state is not None
    assert event.report_timeliness is not None
    row = session.scalar(_REPORT, {"commitment": event.commitment_id, "quarter": event.quarter})
    before = None if row is None else _report_state(row)
    undo["report"] = {"quarter": event.quarter, "before": before}
    if row is None:
        row = m.QuarterlyReport(commitment_id=event.commitment_id, quarter=event.quarter, items=[])
        session.add(row)
    verified = ReportState.VERIFIED.value
    was_verified = row.state == verified
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
    return was_verified or row.state == verified
