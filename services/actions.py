"""Human actions as Temporal client calls, shared by the CLI and the API.

Every action is a Workflow Update: the workflow's validator refuses an invalid one
before anything is written, and the refusal comes back here as `ActionRefused`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.calendar import load_calendar
from domain.catalog import Catalog
from domain.commitment import ExtendDeadline
from domain.cycle import DEFAULT_SIGNATORIES, CancelCycle, CycleSpec, CycleStatus, RegencyRef
from domain.errors import DomainError
from domain.roles import Actor, Role
from domain.schedule import ScheduleSpec, resolve_schedule
from workflows.commitment import ActionResult, CommitmentWorkflow
from workflows.common import commitment_workflow_id, cycle_workflow_id
from workflows.cycle import CycleInput, CycleWorkflow


class ActionRefused(DomainError):
    """A workflow refused an action; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def build_cycle_spec(
    *,
    cycle_id: str,
    name: str,
    year: int,
    catalog: Catalog,
    schedule: ScheduleSpec,
    started_by: Actor,
    regency_codes: Sequence[str] = (),
    signatories: Sequence[str] = DEFAULT_SIGNATORIES,
    ordered_signing: bool = False,
) -> CycleSpec:
    """Resolve a coordinator's request into a cycle spec: regencies, dates and holidays."""
    regencies = [catalog.get(code) for code in regency_codes] or list(catalog.regencies)
    # Deadlines run into January of the next year (the fourth quarter's report).
    calendar = load_calendar(range(year - 1, year + 2))
    return CycleSpec(
        cycle_id=cycle_id,
        name=name,
        year=year,
        regencies=tuple(RegencyRef(code=r.kemendagri_code, name=r.name) for r in regencies),
        signatories=tuple(signatories),
        ordered_signing=ordered_signing,
        schedule_rules=schedule,
        schedule=resolve_schedule(schedule, year, calendar),
        calendar=calendar,
        started_by=started_by,
    )


async def start_cycle(
    client: Client, spec: CycleSpec, *, task_queue: str, digest_window_minutes: int = 15
) -> bool:
    """Start the cycle and wait for its commitments; False if it was started before."""
    if spec.started_by.role != Role.COORDINATOR:
        raise ActionRefused(
            f"role '{spec.started_by.role.value}' may not start a cycle; needs coordinator"
        )
    started = True
    try:
        await client.start_workflow(
            CycleWorkflow.run,
            CycleInput(spec=spec, digest_window_minutes=digest_window_minutes),
            id=cycle_workflow_id(spec.cycle_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        started = False
    handle = client.get_workflow_handle_for(CycleWorkflow.run, cycle_workflow_id(spec.cycle_id))
    await handle.execute_update(CycleWorkflow.ready)
    return started


async def act(
    client: Client,
    commitment_id: str,
    action: str,
    request: BaseModel,
    *,
    update_id: str | None = None,
) -> ActionResult:
    """Send one human action to a commitment; raise ActionRefused with the workflow's reason.

    Updates sent with the same `update_id` to the same workflow run are one update:
    Temporal answers a repeat with the first one's result.
    """
    handle = client.get_workflow_handle_for(
        CommitmentWorkflow.run, commitment_workflow_id(commitment_id)
    )
    try:
        result: ActionResult = await handle.execute_update(
            action, request, id=update_id, result_type=ActionResult
        )
    except WorkflowUpdateFailedError as failed:
        raise ActionRefused(_reason(failed)) from None
    return result


async def cancel_cycle(client: Client, cycle_id: str, request: CancelCycle) -> CycleStatus:
    """Cancel a cycle and every open commitment in it."""
    handle = client.get_workflow_handle_for(CycleWorkflow.run, cycle_workflow_id(cycle_id))
    try:
        return await handle.execute_update(CycleWorkflow.cancel, request)
    except WorkflowUpdateFailedError as failed:
        raise ActionRefused(_reason(failed)) from None


async def extend_everywhere(
    client: Client,
    cycle_id: str,
    codes: Sequence[str],
    actor: Actor,
    key: str,
    until: date,
    reason: str,
) -> dict[str, ActionResult | str]:
    """Extend one deadline for each listed commitment; a refusal is reported, not raised."""
    from domain.commitment import DeadlineKey, commitment_id

    request = ExtendDeadline(actor=actor, key=DeadlineKey(key), until=until, reason=reason)
    outcome: dict[str, ActionResult | str] = {}
    for code in codes:
        try:
            outcome[code] = await act(
                client, commitment_id(cycle_id, code), "extend_deadline", request
            )
        except ActionRefused as refused:
            outcome[code] = refused.reason
    return outcome


def _reason(failed: WorkflowUpdateFailedError) -> str:
    cause = failed.cause
    return str(getattr(cause, "message", None) or cause or failed)
