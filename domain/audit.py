"""The tamper-evident audit trail: every row of a cycle is chained to the one before it.

A row's hash is the SHA-256 of the canonical JSON (`domain.plan.canonical_json`) of
its content, its position in the cycle's chain and the previous row's hash (64
zeros before the first row). Editing a row breaks its own hash; deleting or
inserting one breaks the positions or the links after it; dropping the last rows
leaves the trail shorter than the chain head recorded beside it, and the head is
printed on the signed documents, so even a consistent rewrite shows on paper.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.plan import canonical_json

GENESIS_HASH = "0" * 64


class AuditContent(BaseModel):
    """What an audit row says: who did what in which stream of a cycle, and when."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    cycle_id: str
    stream: str
    seq: int
    action: str
    actor: str
    actor_role: str
    from_stage: str | None
    to_stage: str | None
    detail: dict[str, Any]
    occurred_at: AwareDatetime


class ChainLink(BaseModel):
    """Where a row sits in its cycle's chain and what it hashes to."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    chain_seq: int
    prev_hash: str
    hash: str


SUPERSEDES = "supersedes"
"""The detail key under which a row names the hashes of the rows it superseded: rows a
workflow task recorded and never completed, whose seqs its retry recorded otherwise
(`db.records`)."""


class AuditEntry(AuditContent, ChainLink):
    """A chained audit row as stored; `superseded` (outside the hash) hides it from the
    trail, which a later row's detail must name (`SUPERSEDES`)."""

    superseded: bool = False


class ChainHead(BaseModel):
    """The end of a cycle's chain: how many rows it holds and the last row's hash."""

    model_config = ConfigDict(frozen=True)

    length: int
    hash: str


EMPTY_CHAIN = ChainHead(length=0, hash=GENESIS_HASH)


def audit_hash(content: AuditContent, *, chain_seq: int, prev_hash: str) -> str:
    """SHA-256 (hex) of a row's content, its chain position and the previous row's hash."""
    hashed = {
        "cycle_id": content.cycle_id,
        "stream": content.stream,
        "seq": content.seq,
        "action": content.action,
        "actor": content.actor,
        "actor_role": content.actor_role,
        "from_stage": content.from_stage,
        "to_stage": content.to_stage,
        "detail": content.detail,
        "occurred_at": content.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "chain_seq": chain_seq,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(hashed).encode()).hexdigest()


def chain_after(head: ChainHead, content: AuditContent) -> ChainLink:
    """The link of a new row appended after `head`."""
    chain_seq = head.length + 1
    return ChainLink(
        chain_seq=chain_seq,
        prev_hash=head.hash,
        hash=audit_hash(content, chain_seq=chain_seq, prev_hash=head.hash),
    )


class BreakReason(StrEnum):
    """Why a chain stops being trustworthy at some position."""

    EDITED = "edited"  # the row's content no longer matches its hash
    MISSING = "missing"  # a position is skipped: a row was deleted
    OUT_OF_ORDER = "out_of_order"  # a position repeats or goes back: a row was inserted
    UNLINKED = "unlinked"  # prev_hash is not the hash of the row before
    HIDDEN = "hidden"  # marked superseded, though no row supersedes it
    TRUNCATED = "truncated"  # the head records rows the trail no longer has
    HEAD_MISMATCH = "head_mismatch"  # the head and the trail's end disagree
    NO_TRAIL = "no_trail"  # the cycle has recorded commitments but no trail at all


class ChainBreak(BaseModel):
    """The first broken position of a chain, the row found there (if any) and why."""

    model_config = ConfigDict(frozen=True)

    position: int
    reason: BreakReason
    message: str
    stream: str | None = None
    seq: int | None = None


class ChainCheck(BaseModel):
    """The outcome of verifying one cycle's chain."""

    model_config = ConfigDict(frozen=True)

    checked: int
    end: ChainHead
    broken: ChainBreak | None = None

    @property
    def ok(self) -> bool:
        """True when no position is broken."""
        return self.broken is None


def _entry_break(entry: AuditEntry, expected: int, prev_hash: str) -> ChainBreak | None:
    def broken(position: int, reason: BreakReason, message: str) -> ChainBreak:
        return ChainBreak(
            position=position,
            reason=reason,
            message=message,
            stream=entry.stream,
            seq=entry.seq,
        )

    if entry.chain_seq > expected:
        return broken(
            expected,
            BreakReason.MISSING,
            f"position {expected} is missing (the next row is at {entry.chain_seq}): "
            "a row was deleted",
        )
    if entry.chain_seq < expected:
        return broken(
            expected,
            BreakReason.OUT_OF_ORDER,
            f"position {entry.chain_seq} appears again where {expected} was due: "
            "a row was inserted or renumbered",
        )
    if entry.prev_hash != prev_hash:
        return broken(
            expected,
            BreakReason.UNLINKED,
            f"prev_hash is not the hash of position {expected - 1}: a row before it was replaced",
        )
    if audit_hash(entry, chain_seq=entry.chain_seq, prev_hash=entry.prev_hash) != entry.hash:
        return broken(
            expected,
            BreakReason.EDITED,
            "hash mismatch: the row's content was edited after it was recorded",
        )
    return None


def verify_chain(
    entries: Iterable[AuditEntry], head: ChainHead | None = None, *, recorded: int = 0
) -> ChainCheck:
    """Check rows in chain order, and that they end where `head` (if given) says.

    `recorded` is how many commitments the cycle has recorded: each recorded its start
    in the trail, so a cycle with commitments and no trail at all had it deleted.
    """
    end = EMPTY_CHAIN
    checked = 0
    # Rows marked superseded, each until a later row names it.
    hidden: dict[str, AuditEntry] = {}
    for entry in entries:
        checked += 1
        broken = _entry_break(entry, end.length + 1, end.hash)
        if broken is not None:
            return ChainCheck(checked=checked, end=end, broken=broken)
        for named in entry.detail.get(SUPERSEDES, ()):
            hidden.pop(named, None)
        if entry.superseded:
            hidden[entry.hash] = entry
        end = ChainHead(length=entry.chain_seq, hash=entry.hash)
    if hidden:
        first = min(hidden.values(), key=lambda e: e.chain_seq)
        broken = ChainBreak(
            position=first.chain_seq,
            reason=BreakReason.HIDDEN,
            message="the row is marked superseded, but no later row supersedes it: it was "
            "hidden from the trail",
            stream=first.stream,
            seq=first.seq,
        )
        return ChainCheck(checked=checked, end=end, broken=broken)
    if checked == 0 and recorded and (head is None or head == EMPTY_CHAIN):
        broken = ChainBreak(
            position=1,
            reason=BreakReason.NO_TRAIL,
            message=f"{recorded} commitments are recorded but the cycle has no audit trail: "
            "its rows (and its head) were deleted",
        )
        return ChainCheck(checked=0, end=end, broken=broken)
    if head is not None and head != end:
        if head.length > end.length:
            broken = ChainBreak(
                position=end.length + 1,
                reason=BreakReason.TRUNCATED,
                message=f"the chain head records {head.length} rows, the trail ends at "
                f"{end.length}: the last rows were deleted",
            )
        else:
            broken = ChainBreak(
                position=end.length,
                reason=BreakReason.HEAD_MISMATCH,
                message=f"the chain head ({head.length} rows, {head.hash[:16]}) does not match "
                f"the trail's end ({end.length} rows, {end.hash[:16]})",
            )
        return ChainCheck(checked=checked, end=end, broken=broken)
    return ChainCheck(checked=checked, end=end)
