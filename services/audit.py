"""The audit trail and its hash chain: reading it, and checking that nothing was altered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from db import reads
from domain.audit import ChainCheck, ChainHead
from services.schemas import AuditOut, views


def list_audit(session: Session, cycle_id: str, stream: str | None = None) -> list[AuditOut]:
    """The audit trail of a cycle, or of one stream (a commitment id) in it, in order."""
    return views(AuditOut, reads.list_audit(session, cycle_id=cycle_id, stream=stream))


def audited_cycles(session: Session) -> list[str]:
    """Every cycle id with audit rows or an audit chain head, in order."""
    return reads.audited_cycles(session)


def chain_head(session: Session, cycle_id: str) -> ChainHead | None:
    """The end of a cycle's audit chain; None before its first row."""
    return reads.audit_chain_head(session, cycle_id=cycle_id)


@dataclass(frozen=True)
class ChainReport:
    """One cycle's audit chain, recomputed: what was checked, and where it ends."""

    cycle_id: str
    check: ChainCheck
    head: ChainHead | None


def verify_chains(session: Session, cycle_ids: Sequence[str] | None = None) -> list[ChainReport]:
    """Recompute the audit chain of each cycle named (default: every audited cycle)."""
    ids = audited_cycles(session) if cycle_ids is None else list(cycle_ids)
    return [
        ChainReport(
            cycle_id=cycle_id,
            check=reads.verify_audit_chain(session, cycle_id=cycle_id),
            head=chain_head(session, cycle_id),
        )
        for cycle_id in ids
    ]
