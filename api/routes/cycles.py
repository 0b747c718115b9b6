"""Cycles: list, start, the board of commitments, cancel, the cycle's audit trail."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from api.deps import CurrentUser, CycleId, RuntimeDep, SessionDep, TemporalDep, require_role
from api.errors import Conflict, NotFound
from db import models as m
from db import reads
from db.session import transaction
from domain.catalog import load_catalog
from domain.cycle import CancelCycle, CycleStatus
from domain.errors import ScheduleError
from domain.roles import Role
from domain.schedule import default_schedule
from services import actions
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


def _cycle(session: Session, cycle_id: str) -> m.Cycle:
    cycle = session.get(m.Cycle, cycle_id)
    if cycle is None:
        raise NotFound(f"no cycle {cycle_id!r}")
    return cycle


@router.get("")
def list_cycles(user: CurrentUser, session: SessionDep) -> list[CycleOut]:
    """Every commitment cycle, newest first."""
    return views(CycleOut, reads.list_cycles(session))


@router.post("", status_code=status.HTTP_201_CREATED)
async def start_cycle(
    body: StartCycleIn, user: CurrentUser, client: TemporalDep, runtime: RuntimeDep
) -> StartedOut:
    """Start a cycle for some or every regency (coordinator); 409 if it exists."""
    require_role(user, Role.COORDINATOR)
    catalog = load_catalog()
    try:
        spec = actions.build_cycle_spec(
            cycle_id=body.cycle_id,
            name=body.name,
            year=body.year,
            catalog=catalog,
            schedule=body.schedule or default_schedule(body.year),
            started_by=user.actor(),
            regency_codes=[catalog.get(code).kemendagri_code for code in body.regency_codes],
            signatories=body.signatories,
            ordered_signing=body.ordered_signing,
        )
    except ScheduleError as bad:
        # The rules name a field of the schedule, which the body holds under "schedule".
        raise ScheduleError(f"schedule.{bad.field}", bad.message) from None
    started = await actions.start_cycle(
        client,
        spec,
        task_queue=runtime.settings.temporal_task_queue,
        digest_window_minutes=runtime.settings.digest_window_minutes,
    )
    if not started:
        raise Conflict(f"cycle {spec.cycle_id} was started before; nothing was duplicated")
    return StartedOut(cycle_id=spec.cycle_id, regency_codes=[r.code for r in spec.regencies])


@router.get("/{cycle_id}")
def get_cycle(cycle_id: CycleId, user: CurrentUser, session: SessionDep) -> CycleOut:
    """One cycle."""
    return CycleOut.model_validate(_cycle(session, cycle_id))


@router.get("/{cycle_id}/commitments")
def list_commitments(
    cycle_id: CycleId, user: CurrentUser, session: SessionDep
) -> list[CommitmentOut]:
    """The cycle's commitments by regency code; a regency user sees only their own."""
    _cycle(session, cycle_id)
    rows = reads.list_commitments(session, cycle_id=cycle_id)
    return views(CommitmentOut, [r for r in rows if user.covers(r.regency_code)])


@router.post("/{cycle_id}/cancel")
async def cancel_cycle(
    cycle_id: CycleId,
    body: CancelCycleIn,
    user: CurrentUser,
    client: TemporalDep,
    runtime: RuntimeDep,
) -> CycleStatus:
    """Cancel the cycle and every open commitment in it (coordinator)."""
    require_role(user, Role.COORDINATOR)
    with transaction(runtime.sessions) as session:
        cycle = _cycle(session, cycle_id)
        if cycle.ended_at is not None:
            raise Conflict(f"cycle {cycle_id} has already ended ({cycle.status})")
    return await actions.cancel_cycle(
        client, cycle_id, CancelCycle(actor=user.actor(), reason=body.reason)
    )


@router.get("/{cycle_id}/audit")
def cycle_audit(cycle_id: CycleId, user: CurrentUser, session: SessionDep) -> list[AuditOut]:
    """The cycle's whole audit trail (province roles)."""
    require_role(user, Role.COORDINATOR, Role.REVIEWER, Role.MANAGER)
    _cycle(session, cycle_id)
    return views(AuditOut, reads.list_audit(session, cycle_id=cycle_id))
