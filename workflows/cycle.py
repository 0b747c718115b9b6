"""The workflow of a commitment cycle: a commitment workflow per regency, a mail digest per day."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.notify import ReminderBatch
    from domain import commitment as c
    from domain.commitment import CommitmentState, ReminderIntent
    from domain.cycle import (
        CancelCycle,
        CycleEvent,
        CycleSpec,
        CycleStatus,
        RegencyRef,
        StageChanged,
    )
    from domain.refusals import RefusalCode as R
    from domain.refusals import refused
    from domain.roles import SYSTEM, Actor, Role
    from domain.stages import Stage
    from workflows.commitment import CommitmentInput, CommitmentWorkflow
    from workflows.common import (
        ACTIVITY_RETRY,
        ACTIVITY_TIMEOUT,
        CYCLE,
        MAIL_HEARTBEAT_TIMEOUT,
        MAIL_TIMEOUT,
        NEXT_DUE,
        OVERDUE,
        REGENCY,
        STAGE,
        commitment_workflow_id,
        refusal_error,
    )

# Workflow changes guarded by `workflow.patched` (see "Changing a workflow" in the README).
START_BY_ACTIVITY = "start-by-activity"
"""The cycle starts its commitments from activities, with the worker's client, in batches,
instead of as child workflows.

Before this change the cycle started one child per regency. The server starts a parent's
children one after another and adds a ChildWorkflowExecutionStarted event to the
parent's history for each; every one that arrives while no task is in flight wakes the
parent for a workflow task that has nothing to do. A national cycle of 514 regencies took
342 such tasks and 2,060 history events, each a write to the cycle's history in turn
with the next child's start, 1.5 times as long as a bare parent starting bare children
(bench/fanout.py). Nothing used the parent-child link: children were already abandoned
when the cycle closes, and the cycle and its commitments signal each other by workflow
id. Started from an activity, a commitment gets the same id, input, search attributes
and id-reuse policy; the cycle's history holds one activity per batch.
"""
START_BATCH = 100
"""Regencies per `start_commitments` activity: a batch's spec stays a few kilobytes, a
retry starts again at most this many (those already started count as started), and
the batches of a national cycle spread over the workers polling the queue."""


@dataclass(frozen=True)
class CommitmentLaunch:
    """How one regency's commitment workflow is started: its id, input and search attributes."""

    workflow_id: str
    input: CommitmentInput
    search_attributes: TypedSearchAttributes


def commitment_launch(
    spec: CycleSpec, regency: RegencyRef, now: datetime, *, next_due: bool = False
) -> CommitmentLaunch:
    """The start of a regency's commitment, alike from the cycle (a child) or an activity.

    `next_due` shows the first deadline as `NextDue`: only for children, started by cycles
    from before `START_BY_ACTIVITY`, whose commitments keep it current. Commitments started
    since are runs since `ALL_CHANGES` (`workflows.commitment`), which no longer do.
    """
    commitment = spec.commitment_spec(regency)
    shown: list[SearchAttributePair[Any]] = [
        SearchAttributePair(CYCLE, spec.cycle_id),
        SearchAttributePair(REGENCY, regency.code),
        SearchAttributePair(STAGE, Stage.DRAFTING.value),
        SearchAttributePair(OVERDUE, False),
    ]
    if next_due:
        first = CommitmentState.start(commitment, now)
        shown.append(SearchAttributePair(NEXT_DUE, c.next_due(first) or first.started_at))
    return CommitmentLaunch(
        workflow_id=commitment_workflow_id(commitment.commitment_id),
        input=CommitmentInput(spec=commitment),
        search_attributes=TypedSearchAttributes(shown),
    )


class CommitmentStarts(BaseModel):
    """A batch of a cycle's commitments to start (`start_commitments`): the cycle's spec cut
    to the batch's regencies, the cycle's time at the start, and the cycle's task queue."""

    spec: CycleSpec
    started_at: datetime
    task_queue: str


def batches(spec: CycleSpec, size: int = START_BATCH) -> list[CycleSpec]:
    """The spec cut into specs of at most `size` regencies each, carrying their own items."""
    cuts = []
    for first in range(0, len(spec.regencies), size):
        regencies = spec.regencies[first : first + size]
        codes = {r.code for r in regencies}
        carried = {code: items for code, items in spec.carried.items() if code in codes}
        cuts.append(spec.model_copy(update={"regencies": regencies, "carried": carried}))
    return cuts


class CycleState(BaseModel):
    """What the cycle workflow carries across continue-as-new."""

    # A commitment's last stage the cycle heard of: drafting until it reports its end.
    stages: dict[str, Stage]
    seq: int = 0
    status: str = "running"
    pending: list[ReminderIntent] = Field(default_factory=list)


class CycleInput(BaseModel):
    """Start a cycle from its spec, or carry its state across continue-as-new."""

    spec: CycleSpec
    digest_window_minutes: int = 15
    state: CycleState | None = None


@workflow.defn
class CycleWorkflow:
    """A commitment cycle for a set of regencies.

    Starts one CommitmentWorkflow per regency (by `start_commitments` activities,
    START_BY_ACTIVITY; runs started before it, as children) and ends when all of them
    have ended. Reminders that fall due in its commitments arrive here by signal and
    go out, after a short gathering window, as one digest per person.
    Updates: ready, cancel. Signals: reminders_due, commitment_changed. Queries: status.
    """

    def __init__(self) -> None:
        self._spec: CycleSpec | None = None
        self._state = CycleState(stages={})
        self._children_started = False

    @property
    def spec(self) -> CycleSpec:
        assert self._spec is not None, "spec is set before any handler runs"
        return self._spec

    @workflow.run
    async def run(self, input: CycleInput) -> str:
        """Run the cycle until every commitment has ended."""
        self._spec = input.spec
        if input.state is not None:
            self._state = input.state
        else:
            self._state.stages = {r.code: Stage.DRAFTING for r in input.spec.regencies}
            await self._record("started", input.spec.started_by, spec=input.spec)
            if workflow.patched(START_BY_ACTIVITY):
                await asyncio.gather(*(self._start_batch(cut) for cut in batches(input.spec)))
            else:
                await asyncio.gather(*(self._start_child(r.code) for r in input.spec.regencies))
        self._children_started = True
        # On a compressed (demonstration) schedule the window shrinks with the day.
        window = input.spec.schedule.scaled(timedelta(minutes=input.digest_window_minutes))
        while not self._all_ended():
            await workflow.wait_condition(lambda: bool(self._state.pending) or self._all_ended())
            if self._state.pending:
                # Reminders of one day fall at the same instant in every commitment:
                # wait a moment so each person gets them in one message.
                await workflow.sleep(window)
                batch, self._state.pending = self._state.pending, []
                await workflow.execute_activity(
                    "send_reminders",
                    ReminderBatch(intents=batch),
                    start_to_close_timeout=MAIL_TIMEOUT,
                    heartbeat_timeout=MAIL_HEARTBEAT_TIMEOUT,
                    retry_policy=ACTIVITY_RETRY,
                )
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    CycleInput(
                        spec=input.spec,
                        digest_window_minutes=input.digest_window_minutes,
                        state=self._state,
                    )
                )
        if self._state.status == "running":
            self._state.status = "completed"
            await self._record("completed", SYSTEM, ended=True)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state.status

    async def _start_batch(self, spec: CycleSpec) -> None:
        """Start a batch of commitments from an activity (`START_BY_ACTIVITY`)."""
        await workflow.execute_activity(
            "start_commitments",
            CommitmentStarts(
                spec=spec, started_at=workflow.now(), task_queue=workflow.info().task_queue
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )

    async def _start_child(self, code: str) -> None:
        """Start a commitment as a child: runs started before `START_BY_ACTIVITY`."""
        regency = next(r for r in self.spec.regencies if r.code == code)
        launch = commitment_launch(self.spec, regency, workflow.now(), next_due=True)
        await workflow.start_child_workflow(
            CommitmentWorkflow.run,
            launch.input,
            id=launch.workflow_id,
            # Children outlive a continue-as-new of the cycle; cancelling is explicit.
            parent_close_policy=ParentClosePolicy.ABANDON,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=launch.search_attributes,
        )

    def _all_ended(self) -> bool:
        return all(stage.is_terminal for stage in self._state.stages.values())

    @workflow.query
    def status(self) -> CycleStatus:
        """The cycle's status and where each commitment stands."""
        stages = self._state.stages
        return CycleStatus(
            cycle_id=self.spec.cycle_id,
            name=self.spec.name,
            status=self._state.status,
            open=[code for code, stage in stages.items() if not stage.is_terminal],
            ended={code: stage for code, stage in stages.items() if stage.is_terminal},
        )

    @workflow.update
    async def ready(self) -> CycleStatus:
        """Return once every commitment workflow of the cycle has started."""
        await workflow.wait_condition(lambda: self._children_started)
        return self.status()

    @workflow.signal
    def reminders_due(self, batch: ReminderBatch) -> None:
        """Gather reminders from the commitments for the next digest."""
        self._state.pending.extend(batch.intents)

    @workflow.signal
    def commitment_changed(self, change: StageChanged) -> None:
        """Note a commitment's end (runs started before RECORD_LOCALLY send every new stage)."""
        self._state.stages[change.regency_code] = change.stage

    @workflow.update
    async def cancel(self, req: CancelCycle) -> CycleStatus:
        """Cancel the cycle: every open commitment ends as cancelled."""
        if self._state.status != "running":
            raise refusal_error(refused(R.CYCLE_ENDED, status=self._state.status))
        self._state.status = "cancelled"
        await self._record("cancelled", req.actor, reason=req.reason, ended=True)
        open_codes = [code for code, stage in self._state.stages.items() if not stage.is_terminal]
        for code in open_codes:
            commitment = c.commitment_id(self.spec.cycle_id, code)
            await workflow.get_external_workflow_handle(commitment_workflow_id(commitment)).signal(
                "cancel", c.Cancel(actor=req.actor, reason=req.reason)
            )
        return self.status()

    @cancel.validator
    def _validate_cancel(self, req: CancelCycle) -> None:
        if req.actor.role != Role.COORDINATOR:
            raise refusal_error(refused(R.CYCLE_ROLE, role=req.actor.role.value))
        if self._state.status != "running":
            raise refusal_error(refused(R.CYCLE_ENDED, status=self._state.status))

    async def _record(
        self,
        action: str,
        actor: Actor,
        *,
        spec: CycleSpec | None = None,
        reason: str | None = None,
        ended: bool = False,
    ) -> None:
        self._state.seq += 1
        event = CycleEvent.model_validate(
            {
                "cycle_id": self.spec.cycle_id,
                "seq": self._state.seq,
                "action": action,
                "status": self._state.status if action != "started" else "running",
                "actor": actor,
                "occurred_at": workflow.now(),
                "ended": ended,
                "reason": reason,
                "spec": spec,
            }
        )
        await workflow.execute_activity(
            "record_cycle_event",
            event,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
