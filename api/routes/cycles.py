"""Cycles: list, start, the board of commitments, cancel, the cycle's audit trail."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import CurrentUser, CycleId, RuntimeDep, SessionDep, TemporalDep
from domain.cycle import CycleStatus
from services import cycles
from services.schemas import (
    AuditOut,
    CancelCycleIn,
    CommitmentOut,
    CycleOut,
    StartCycleIn,
    StartedOut,
    views,
)

router = APIRouter(prefix="/cycles", tags=["cycles"])


@router.get("")
def list_cycles(user: CurrentUser, session: SessionDep) -> list[CycleOut]:
    """Every commitment cycle, newest first."""
    return views(CycleOut, cycles.list_cycles(session))


@router.post("", status_code=status.HTTP_201_CREATED)
async def start_cycle(
    body: StartCycleIn, user: CurrentUser, client: TemporalDep, runtime: RuntimeDep
) -> StartedOut:
    """Start a cycle for some or every regency (coordinator); 409 if it exists."""
    return await cycles.start_cycle(client, runtime.settings, runtime.sessions, user, body)


@router.get("/{cycle_id}")
def get_cycle(cycle_id: CycleId, user: CurrentUser, session: SessionDep) -> CycleOut:
    """One cycle."""
    return CycleOut.model_validate(cycles.get_cycle(session, cycle_id))


@router.get("/{cycle_id}/commitments")
def list_commitments(
    cycle_id: CycleId, user: CurrentUser, session: SessionDep
) -> list[CommitmentOut]:
    """The cycle's commitments by regency code; a regency user sees only their own."""
    return views(CommitmentOut, cycles.commitments_in_scope(session, user, cycle_id))


@router.post("/{cycle_id}/cancel")
async def cancel_cycle(
    cycle_id: CycleId,
    body: CancelCycleIn,
    user: CurrentUser,
    client: TemporalDep,
    runtime: RuntimeDep,
) -> CycleStatus:
    """Cancel the cycle and every open commitment in it (coordinator).

    Answers once the commitments have ended (at most 15 s): `open` is then empty and
    `ended` says how each ended; any still listed in `open` are being cancelled.
    """
    return await cycles.cancel_cycle(client, runtime.sessions, user, cycle_id, body.reason)


@router.get("/{cycle_id}/audit")
def cycle_audit(cycle_id: CycleId, user: CurrentUser, session: SessionDep) -> list[AuditOut]:
    """The cycle's whole audit trail (province roles)."""
    return views(AuditOut, cycles.cycle_audit(session, user, cycle_id))
