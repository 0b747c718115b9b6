"""The workflow of one regency's commitment, from drafting to its last quarter."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.notify import ChangeNotice, ReminderBatch, StatusNotice, TurnNotice
    from activities.record_and_tell import RecordWithNotice
    from domain import commitment as c
    from domain.commitment import Audience, CommitmentSpec, CommitmentState, DecidedIn, Event
    from domain.cycle import StageChanged
    from domain.document import DocumentFormat
    from domain.errors import TransitionRefused
    from domain.stages import Stage
    from domain.turns import Turn, TurnKind, turn_after
    from workflows.common import (
        ACTIVITY_RETRY,
        ACTIVITY_TIMEOUT,
        MAIL_HEARTBEAT_TIMEOUT,
        MAIL_TIMEOUT,
        NEXT_DUE,
        OVERDUE,
        STAGE,
        cycle_workflow_id,
        refusal_error,
        refusing,
    )

Req = TypeVar("Req", bound=BaseModel)

# Workflow changes guarded by `workflow.patched` (see "Changing a workflow" in the README).
MAIL_OUTSIDE_LOCK = "mail-outside-lock"
"""Mail goes out from a queue of its own, so an SMTP outage never holds up people's actions.

Before this change, escalations and notices were sent while the commitment's lock was
held (and the update waited for them), so a mail outage blocked every action on it.
"""
FEWER_COMMANDS = "fewer-commands"
"""An event upserts only the search attributes it changes, and the timer to the next
wakeup stays while that instant does not move.

Before this change every event upserted all three search attributes, though most change
one or none (a commitment's start none, a second signature none), and every pass of the
run loop (every action) cancelled its timer and started another for the same instant:
commands, history events and server writes for nothing (bench/lifecycle.py). One patch
for both, since each patch costs a run a marker and an upsert of its own.
"""
RECORD_LOCALLY = "record-locally"
# An escalation whose time had passed before the commitment owed the deadline (a cycle
# started late, a plan back in drafting after its deadline) was never sent. Since this
# change it is sent as soon as the commitment learns of it, once
# (`domain.commitment.missed_escalations`).
MISSED_ESCALATIONS = "missed-escalations"
"""Each change is recorded by a local activity, and the cycle hears only of the end.

Before this change `record_event` was an ordinary activity: a round trip through the
server (three history events and a second workflow task) for every action, though the
write takes milliseconds and is idempotent. As a local activity it runs in the worker
that holds the workflow task, and an action costs one workflow task. The cycle was also
signalled at every change of stage, though it acts only on a commitment's end (it
completes when all have ended, and a cancel reaches the open ones); where a commitment
stands is the database's to show. bench/lifecycle.py measures both.
"""
CANONICAL_DOCUMENT = "canonical-document"
"""A plan saved since this change has its document written in the canonical format
(`domain.document`, format 2): equal plans hash the same however their numbers were
typed. Versions saved before keep the format they were saved, and signed, in."""
TURN_NOTICES = "turn-notices"
"""Whoever an action makes it the turn of is told at once (`domain.turns`): the reviewers
of a submitted plan or report, the offices that sign an approved plan (in a fixed order,
each in its turn), the reviewers and officers of a declined signature, the officers and
the coordinator of a fully signed plan, the officers of a returned or verified report.

Before this change only a change request, a decline (to the reviewers) and a returned
report were told, the last two by a `send_status_notice`; since, a decline and a return
go out as turn notices instead, so nobody gets two mails for one event. Asked only where
an event passes a turn, so runs whose events pass none record no marker.
"""
NOTICES_LOCALLY = "notices-locally"
"""A turn notice or a change notice is first sent by a local activity, in the worker that
holds the workflow task, and only if that attempt fails by an ordinary activity.

Before this change every notice was an ordinary activity: a server round trip, three
history events and a workflow task of its own after nearly every action (11 a lifecycle,
bench/lifecycle.py), though finding the recipients and sending takes milliseconds. The
local attempt is one, short (`NOTICE_LOCAL_TIMEOUT`): a mail server that is down or slow
fails it, and the ordinary activity, retried without limit outside the lock as before,
waits the outage out; its claims in `reminder_sent` keep each message once, under one
Message-ID. Asked only when a notice is sent, so runs that send none record no marker.
"""
# The notices a commitment tries locally first, and how long that one attempt may take:
# an update's answer waits for it (a workflow task ends with its local activities).
LOCAL_NOTICES = frozenset({"send_turn_notice", "send_change_notice"})
NOTICE_LOCAL_TIMEOUT = timedelta(seconds=5)
NOTICE_LOCAL_RETRY = RetryPolicy(maximum_attempts=1)

NOTICE_WITH_RECORD = "notice-with-record"
"""An action's turn notice is sent by the local activity that records the action
(`record_and_tell`), right after the change commits, instead of by a second local
activity from the mail queue; only if that attempt fails does the queue send it, as
before (`NOTICES_LOCALLY`).

Before this change an action a turn passes with (11 of a lifecycle's 14) ran two local
activities in a row: two markers, two payloads through the SDK and a third activation
of the workflow task, for a notice that takes milliseconds (bench/lifecycle.py). Asked
only when an action passes a turn, so runs whose actions pass none record no marker.
"""

CARRY_OVER = "carry-over"
"""A commitment started with last cycle's unfinished items (`CommitmentSpec.carried`) saves
them as its version 1 right after its start, in the coordinator's name, through the path a
`save_draft` takes (`domain.commitment.apply_carried`, recorded by the local activity), so
the officer keeps, edits or drops them by saving a new version. Chosen over an update sent
by the service after the start: deterministic, in the workflow's own history, and no
officer's edit can come first. Asked only when there are carried items, so runs without
record no marker."""


ALL_CHANGES = "all-changes-v12"
"""One patch for every change above, so a run started since records one marker, not one
per change.

Each `workflow.patched` a run asks for the first time adds two events to its history (a
marker and an upsert of `TemporalChangeVersion`, a write to the visibility store): five
pairs in every lifecycle, for changes every new run takes anyway (bench/lifecycle.py). A
run that has this marker takes the path of every change above (`_since`); runs recorded
before it ask each change as they did, and replay as they ran. A later change gets a
patch of its own again.

Runs since this change also no longer keep `NextDue` current: it changed with nearly
every action (an upsert each), and the database's board and overdue list, which people
use, show every deadline. `Stage` and `Overdue` stay current; a run that finds `NextDue`
shown (continued from an older run) unsets it with its next upsert, so it never shows a
stale date.
"""


def _since(change: str) -> bool:
    """Whether this run takes the path of `change`: it is a run since `ALL_CHANGES`, or an
    older one that recorded `change` itself (`workflow.patched`, asked as before)."""
    return workflow.patched(ALL_CHANGES) or workflow.patched(change)


class CommitmentInput(BaseModel):
    """Start a commitment fresh from its spec, or carry its state across continue-as-new."""

    spec: CommitmentSpec
    state: CommitmentState | None = None


class ActionResult(BaseModel):
    """What an accepted human action returns to the caller."""

    seq: int
    stage: Stage
    version: int
    round: int
    document_hash: str | None


@workflow.defn
class CommitmentWorkflow:
    """One regency's commitment: drafting, review, signing and quarterly follow-up.

    Updates (each validated synchronously, refused with a reason): save_draft,
    submit, approve, request_changes, sign, decline, submit_report,
    verify_report, return_report, extend_deadline, withdraw.
    Signals: cancel (from the cycle). Queries: state.
    A commitment started with carried-over items saves them as version 1 at its start
    (`CARRY_OVER`), in the name of the coordinator who started the cycle.
    Timers wake it for reminders, escalations, passed deadlines and quarter locks.
    Escalations and notices wait in a mail queue that a task of their own sends, in
    order, outside the lock; the queue is empty before the run ends or continues as new.
    A notice is tried first by a local activity, then by an ordinary one (NOTICES_LOCALLY).
    """

    @workflow.init
    def __init__(self, input: CommitmentInput) -> None:
        # The state exists before any handler runs: an action can come with the
        # workflow's first task, when a client acts the moment its cycle is ready.
        self._state = input.state or CommitmentState.start(input.spec, workflow.now())
        self._lock = asyncio.Lock()
        self._changed = False
        self._timer: asyncio.Task[None] | None = None
        self._timer_at: datetime | None = None
        # The head of the queue stays there until it has been delivered.
        self._mail: list[tuple[str, BaseModel]] = []

    @property
    def state(self) -> CommitmentState:
        return self._state

    async def _started(self) -> None:
        """Wait until `run` has numbered the start, so that it is recorded before any action."""
        # Runs that had started before a handler ran never wait, and so replay as they ran.
        if self.state.seq == 0:
            await workflow.wait_condition(lambda: self.state.seq > 0)

    @workflow.run
    async def run(self, input: CommitmentInput) -> Stage:
        """Run until the commitment completes, is withdrawn or is cancelled."""
        fresh = input.state is None
        mailer = asyncio.create_task(self._send_mail())
        if fresh:
            async with self._lock:
                await self._record(c.started_event(self.state))
                await self._carry_over()
                await self._escalate_missed()
        while not self.state.stage.is_terminal:
            await self._sleep(c.next_wakeup(self.state))
            self._changed = False
            async with self._lock:
                locked_before = len(self.state.locked)
                await self._advance()
            if self.state.stage.is_terminal:
                break
            if (
                len(self.state.locked) > locked_before
                or workflow.info().is_continue_as_new_suggested()
            ):
                # A closed quarter is a natural break: start the next with a short history.
                await self._quiet()
                workflow.continue_as_new(CommitmentInput(spec=self.state.spec, state=self.state))
        await self._quiet()
        mailer.cancel()
        if self._timer is not None:
            self._timer.cancel()
        return self.state.stage

    async def _sleep(self, wakeup: datetime | None) -> None:
        """Sleep until `wakeup` (None: forever) or until something changes."""
        if not _since(FEWER_COMMANDS):
            timeout = None if wakeup is None else max(wakeup - workflow.now(), timedelta(0))
            try:
                await workflow.wait_condition(lambda: self._changed, timeout=timeout)
            except TimeoutError:
                pass
            return
        if wakeup != self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer_at = wakeup
            self._timer = (
                None
                if wakeup is None
                else asyncio.create_task(workflow.sleep(max(wakeup - workflow.now(), timedelta(0))))
            )
        timer = self._timer
        await workflow.wait_condition(lambda: self._changed or (timer is not None and timer.done()))
        if timer is not None and timer.done():
            self._timer, self._timer_at = None, None

    @workflow.query
    def current(self) -> CommitmentState:
        """The commitment's full current state."""
        return self.state

    # --- human actions -------------------------------------------------------------

    @workflow.update
    async def save_draft(self, req: c.SaveDraft) -> ActionResult:
        """Save a new version of the action plan."""
        # Format 3 only for a plan that needs it (`DocumentFormat.for_plan`): no history
        # recorded before it existed holds such a plan, so replays write what they wrote.
        written = DocumentFormat.for_plan(req.plan, _since(CANONICAL_DOCUMENT))
        return await self._act(
            req,
            lambda s: c.check_save_draft(s, req),
            lambda s, r, now: c.apply_save_draft(s, r, now, written),
        )

    @save_draft.validator
    def _validate_save_draft(self, req: c.SaveDraft) -> None:
        with refusing():
            c.check_save_draft(self.state, req)

    @workflow.update
    async def submit(self, req: c.Submit) -> ActionResult:
        """Submit the latest version for review."""
        return await self._act(req, lambda s: c.check_submit(s, req), c.apply_submit)

    @submit.validator
    def _validate_submit(self, req: c.Submit) -> None:
        with refusing():
            c.check_submit(self.state, req)

    @workflow.update
    async def approve(self, req: c.Approve) -> ActionResult:
        """Approve the submitted version."""
        return await self._act(req, lambda s: c.check_approve(s, req), c.apply_approve)

    @approve.validator
    def _validate_approve(self, req: c.Approve) -> None:
        with refusing():
            c.check_approve(self.state, req)

    @workflow.update
    async def request_changes(self, req: c.RequestChanges) -> ActionResult:
        """Send the submitted version back with comments."""
        result = await self._act(
            req, lambda s: c.check_request_changes(s, req), c.apply_request_changes
        )
        spec = self.state.spec
        notice = ChangeNotice(
            commitment_id=spec.commitment_id,
            event_seq=result.seq,
            cycle_name=spec.cycle_name,
            regency_code=spec.regency_code,
            regency_name=spec.regency_name,
            round=self.state.round - 1,
            version=req.version,
            reviewer_name=req.actor.name,
            comments=list(req.comments),
            # Carried only in runs that know turn notices, whose payloads may then change.
            actor=req.actor if _since(TURN_NOTICES) else None,
        )
        await self._post("send_change_notice", notice)
        return result

    @request_changes.validator
    def _validate_request_changes(self, req: c.RequestChanges) -> None:
        with refusing():
            c.check_request_changes(self.state, req)

    @workflow.update
    async def sign(self, req: c.Sign) -> ActionResult:
        """Sign the approved document."""
        return await self._act(req, lambda s: c.check_sign(s, req), c.apply_sign)

    @sign.validator
    def _validate_sign(self, req: c.Sign) -> None:
        with refusing():
            c.check_sign(self.state, req)

    @workflow.update
    async def decline(self, req: c.Decline) -> ActionResult:
        """Decline to sign; the commitment returns to review."""
        result = await self._act(req, lambda s: c.check_decline(s, req), c.apply_decline)
        if _since(TURN_NOTICES):
            return result  # `_act` sent the turn notice, to the reviewers and the officers
        await self._notify(
            result.seq,
            Audience.REVIEWER,
            "decline",
            f"{req.actor.name} ({req.actor.office}): {req.reason}",
        )
        return result

    @decline.validator
    def _validate_decline(self, req: c.Decline) -> None:
        with refusing():
            c.check_decline(self.state, req)

    @workflow.update
    async def submit_report(self, req: c.SubmitReport) -> ActionResult:
        """Submit a quarterly progress report."""
        return await self._act(
            req, lambda s: c.check_submit_report(s, req, workflow.now()), c.apply_submit_report
        )

    @submit_report.validator
    def _validate_submit_report(self, req: c.SubmitReport) -> None:
        with refusing():
            c.check_submit_report(self.state, req, workflow.now())

    @workflow.update
    async def verify_report(self, req: c.VerifyReport) -> ActionResult:
        """Verify a quarterly report."""
        return await self._act(req, lambda s: c.check_verify_report(s, req), c.apply_verify_report)

    @verify_report.validator
    def _validate_verify_report(self, req: c.VerifyReport) -> None:
        with refusing():
            c.check_verify_report(self.state, req)

    @workflow.update
    async def return_report(self, req: c.ReturnReport) -> ActionResult:
        """Return a quarterly report for correction."""
        result = await self._act(
            req, lambda s: c.check_return_report(s, req), c.apply_return_report
        )
        if _since(TURN_NOTICES):
            return result  # `_act` sent the turn notice, with the reason
        await self._notify(
            result.seq, Audience.REGENCY_OFFICER, "return_report", f"Q{req.quarter}: {req.reason}"
        )
        return result

    @return_report.validator
    def _validate_return_report(self, req: c.ReturnReport) -> None:
        with refusing():
            c.check_return_report(self.state, req)

    @workflow.update
    async def extend_deadline(self, req: c.ExtendDeadline) -> ActionResult:
        """Extend a deadline; reminders follow the new date."""
        return await self._act(req, lambda s: c.check_extend(s, req), c.apply_extend)

    @extend_deadline.validator
    def _validate_extend_deadline(self, req: c.ExtendDeadline) -> None:
        with refusing():
            c.check_extend(self.state, req)

    @workflow.update
    async def withdraw(self, req: c.Withdraw) -> ActionResult:
        """Withdraw the regency from the cycle."""
        return await self._act(req, lambda s: c.check_withdraw(s, req), c.apply_withdraw)

    @withdraw.validator
    def _validate_withdraw(self, req: c.Withdraw) -> None:
        with refusing():
            c.check_withdraw(self.state, req)

    @workflow.signal
    async def cancel(self, req: c.Cancel) -> None:
        """End the commitment because the cycle was cancelled."""
        await self._started()
        async with self._lock:
            event = c.apply_cancel(self.state, req, workflow.now())
            if event is not None:
                await self._record(event)
        self._changed = True

    # --- plumbing ------------------------------------------------------------------

    async def _act(
        self,
        req: Req,
        check: Callable[[CommitmentState], None],
        apply: Callable[[CommitmentState, Req, datetime], Event],
    ) -> ActionResult:
        """Apply an action under the lock, re-checking it against the state it finds there."""
        await self._started()
        async with self._lock:
            await self._advance()
            try:
                check(self.state)
            except TransitionRefused as refused:
                # Another action won the race since validation: refuse this one.
                raise refusal_error(refused) from None
            event = apply(self.state, req, workflow.now())
            told = await self._record(event, self._notice_with_record(event))
            await self._escalate_missed()
            if not told:
                await self._pass_turn(event)
        self._changed = True
        s = self.state
        return ActionResult(
            seq=event.seq,
            stage=s.stage,
            version=s.version,
            round=s.round,
            document_hash=s.approved_hash,
        )

    async def _advance(self) -> None:
        """Apply timed events up to now: record them, escalate, and hand reminders to the cycle."""
        tick = c.advance(self.state, workflow.now())
        for event in tick.events:
            await self._record(event)
        if tick.escalations:
            await self._post("send_reminders", ReminderBatch(intents=tick.escalations))
        if tick.reminders:
            await workflow.get_external_workflow_handle(
                cycle_workflow_id(self.state.spec.cycle_id)
            ).signal("reminders_due", ReminderBatch(intents=tick.reminders))

    async def _carry_over(self) -> None:
        """Save the carried-over items as version 1 (`CARRY_OVER`)."""
        if self.state.spec.carried is None or not _since(CARRY_OVER):
            return
        event = c.apply_carried(self.state, workflow.now())
        if event is not None:
            await self._record(event)

    async def _escalate_missed(self) -> None:
        """Send, once, escalations that fell due before the commitment owed their deadline.

        Called where an obligation can begin (the start, each action); a timer's wakeup
        needs no call, as `advance` sends what falls due in its window itself.
        """
        missed = c.missed_escalations(self.state, workflow.now())
        # Asked only when there is one, so runs with none record no marker.
        if not missed or not _since(MISSED_ESCALATIONS):
            return
        c.mark_escalated(self.state, missed, adopt=True)
        await self._post("send_reminders", ReminderBatch(intents=missed))

    async def _pass_turn(self, event: Event) -> None:
        """Tell at once whoever the event made it the turn of (`domain.turns`), from the
        mail queue."""
        turn = self._turn(event)
        notice = None if turn is None else self._turn_notice(event, turn)
        if notice is not None:
            await self._post("send_turn_notice", notice)

    def _notice_with_record(self, event: Event) -> TurnNotice | None:
        """The turn notice the action's recording sends (`NOTICE_WITH_RECORD`), if it
        passes a turn in a run that has the change; else None."""
        turn = self._turn(event)
        if turn is None or not _since(NOTICE_WITH_RECORD):
            return None
        return self._turn_notice(event, turn)

    def _turn(self, event: Event) -> Turn | None:
        """The turn the event passes that a turn notice tells; None if none."""
        turn = turn_after(event, self.state)
        # A change request's turn message is its own notice, which carries the comments.
        if turn is None or turn.kind is TurnKind.CHANGES_REQUESTED:
            return None
        return turn

    def _turn_notice(self, event: Event, turn: Turn) -> TurnNotice | None:
        """The notice telling whoever the event made it the turn of; None in a run from
        before turn notices."""
        # Asked only when a turn passes, so runs whose events pass none record no marker.
        if not _since(TURN_NOTICES):
            return None
        spec = self.state.spec
        # A submission concerns the version just submitted, later steps the approved one.
        plan_version = event.version if turn.kind is TurnKind.SUBMITTED else event.approved_version
        return TurnNotice(
            commitment_id=spec.commitment_id,
            event_seq=event.seq,
            cycle_name=spec.cycle_name,
            regency_code=spec.regency_code,
            regency_name=spec.regency_name,
            turn=turn,
            actor=event.actor,
            version=None if event.quarter is not None else plan_version,
            quarter=event.quarter,
            reason=event.reason,
        )

    async def _record(self, event: Event, notice: TurnNotice | None = None) -> bool:
        """Record the event, and with `notice` send it once recorded (`record_and_tell`);
        show the new stage in search attributes, and an end to the cycle. Whether the
        notice was sent: if not, it is still owed."""
        locally = _since(RECORD_LOCALLY)
        # Which task decided it, for the recorder to tell a lost task's rows from a later
        # one's (db/records.py). No command: runs recorded before replay as they ran.
        info = workflow.info()
        event = event.model_copy(
            update={
                "decided_in": DecidedIn(
                    run_id=info.run_id, history_length=info.get_current_history_length()
                )
            }
        )
        told = False
        if notice is not None:
            told = await workflow.execute_local_activity(
                "record_and_tell",
                # A local activity's scheduled time is the worker's clock: the notice
                # carries the workflow's, whose day names the office holders told.
                RecordWithNotice(
                    event=event, notice=notice.model_copy(update={"sent_at": workflow.now()})
                ),
                result_type=bool,
                start_to_close_timeout=ACTIVITY_TIMEOUT + NOTICE_LOCAL_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
        else:
            record = workflow.execute_local_activity if locally else workflow.execute_activity
            await record(
                "record_event",
                event,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
        updates: list[SearchAttributeUpdate[Any]] = [
            STAGE.value_set(event.to_stage.value),
            OVERDUE.value_set(event.overdue_since is not None),
        ]
        shown = workflow.info().typed_search_attributes
        if not workflow.patched(ALL_CHANGES):
            updates.append(
                NEXT_DUE.value_set(event.next_due_at)
                if event.next_due_at
                else NEXT_DUE.value_unset()
            )
        elif shown.get(NEXT_DUE) is not None:
            updates.append(NEXT_DUE.value_unset())  # shown by an older run: never stale
        changed = [u for u in updates if shown.get(u.key) != u.value]
        # Asked only where the answer matters, so the patch's marker replaces an upsert.
        if len(changed) < len(updates) and _since(FEWER_COMMANDS):
            updates = changed
        if updates:
            workflow.upsert_search_attributes(updates)
        if event.from_stage != event.to_stage and (event.to_stage.is_terminal or not locally):
            await workflow.get_external_workflow_handle(cycle_workflow_id(event.cycle_id)).signal(
                "commitment_changed",
                StageChanged(regency_code=event.regency_code, stage=event.to_stage),
            )
        return told

    async def _notify(
        self, seq: int, audience: Audience, kind: Literal["decline", "return_report"], body: str
    ) -> None:
        spec = self.state.spec
        notice = StatusNotice(
            commitment_id=spec.commitment_id,
            event_seq=seq,
            cycle_name=spec.cycle_name,
            regency_code=spec.regency_code,
            regency_name=spec.regency_name,
            audience=audience,
            kind=kind,
            body=body,
        )
        await self._post("send_status_notice", notice)

    async def _post(self, activity: str, message: BaseModel) -> None:
        """Queue mail for the mailer task; runs started before the change send it at once."""
        if _since(MAIL_OUTSIDE_LOCK):
            self._mail.append((activity, message))
            return
        await self._deliver(activity, message)

    async def _send_mail(self) -> None:
        """Send queued mail one message at a time, retrying each until the server takes it."""
        while True:
            await workflow.wait_condition(lambda: bool(self._mail))
            activity, message = self._mail[0]
            await self._deliver(activity, message)
            self._mail.pop(0)

    async def _quiet(self) -> None:
        """Wait until no handler runs and no mail waits, together (before ending or continuing).

        Waiting for one and then the other would let an update start while mail drains.
        """
        await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self._mail)

    async def _deliver(self, activity: str, message: BaseModel) -> None:
        if activity in LOCAL_NOTICES and _since(NOTICES_LOCALLY):
            try:
                await workflow.execute_local_activity(
                    activity,
                    # A local activity's scheduled time is the worker's clock: the notice
                    # carries the workflow's, whose day names the office holders told.
                    message.model_copy(update={"sent_at": workflow.now()}),
                    start_to_close_timeout=NOTICE_LOCAL_TIMEOUT,
                    retry_policy=NOTICE_LOCAL_RETRY,
                )
                return
            except FailureError as failed:
                # A local activity's failure is the activity's own (the SDK wraps no
                # ActivityError around it) or its timeout. The mail server is away or slow:
                # the ordinary activity waits it out.
                if isinstance(failed, CancelledError):
                    raise
        await workflow.execute_activity(
            activity,
            message,
            start_to_close_timeout=MAIL_TIMEOUT,
            heartbeat_timeout=MAIL_HEARTBEAT_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
