"""SIGKILL the worker again and again through a whole compressed cycle: nothing lost or doubled.

A real `komitmen worker` process runs against Temporal's dev server, a PostgreSQL
schema of its own and an SMTP server. `komitmen demo`'s five stories start a cycle
whose days last seconds and play it through the client, the regency that goes
furthest also reporting and verifying every later quarter, while a killer sends
SIGKILL to the worker at one random moment in each stretch of the cycle and starts
it again after a short pause. Actions sent while no worker runs wait in their
Workflow Update; one whose answer is slow is sent again under the same update id,
which Temporal answers with the first one's result.

Once the fourth quarter has locked, each commitment must be in the stage its story
leads to, and the database must match each workflow's own state: stage, round,
versions, signatures and reports; every audit stream numbered 1..n without a gap or
a double, and the cycle's audit chain whole.

Mail: each message is claimed in `reminder_sent` under a deterministic Message-ID
before it is sent and marked sent after the server accepts it. A kill between the
two leaves the claim unmarked; the activity, abandoned by its dead worker, runs again
once its start-to-close timeout passes and sends the same message again under the
same Message-ID. SMTP cannot tell a client whether an earlier attempt arrived, so no
sender can rule that out; what the design promises is one Message-ID per message and
person, which mail clients show once. One kill is therefore aimed at that gap: it
falls while the SMTP server keeps a message, before the worker hears it was accepted.
The test then holds the design to its promise: the Message-IDs received are exactly
those marked sent, none missing and none unknown; every copy of one Message-ID went
to the same person with the same subject; the message the worker died sending
arrived again under its own id; and copies beyond the first are no more than the
kills. The regency that never drafts, moved by timers alone, gets exactly its three
reminders and two escalations.

The seed of the kill schedule is printed; `KOMITMEN_CRASH_SEED=<seed>` replays the schedule.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.api.enums.v1 import PendingWorkflowTaskState as TaskState
from temporalio.api.enums.v1 import WorkflowExecutionStatus as Status
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError

from db import mail, reads
from db.session import session_factory, transaction
from domain.calendar import WITA
from domain.catalog import Regency
from domain.commitment import CommitmentState, commitment_id
from domain.reports import ReportState
from domain.stages import Stage
from komitmen.cli import demo as d
from komitmen.cli.demo import Demo, Story, start_demo
from services import actions
from services.actions import Update
from services.errors import ActionRefused
from tests.databases import postgres_database
from tests.smtp import Delivery, SmtpSink
from tests.stack import WorkerProcess, komitmen_stack
from workflows.commitment import ActionResult, CommitmentWorkflow
from workflows.common import commitment_workflow_id, cycle_workflow_id
from workflows.cycle import CycleWorkflow

KILLS = 12
DAY = timedelta(seconds=3)
# An answer slower than this is asked for again with the same update id.
ANSWER_SECONDS = 5
# A kill during an activity leaves it to its start-to-close timeout (two minutes)
# before Temporal runs it again on the next worker; give every wait room for that.
PATIENCE_SECONDS = 300

Play = Callable[[Demo, Regency], Awaitable[None]]
IDLE: Play = d.never_drafting
# Where each demo story leaves its commitment once the fourth quarter has locked.
ENDS_IN: dict[Play, Stage] = {
    d.signed_and_reporting: Stage.COMPLETED,
    d.waiting_for_signatures: Stage.SIGNING,
    IDLE: Stage.DRAFTING,
    d.review_late: Stage.REVIEW,
    d.declined_then_signed: Stage.COMPLETED,
}
SIGNATURES: dict[Play, int] = {
    d.signed_and_reporting: 3,
    d.waiting_for_signatures: 1,
    d.declined_then_signed: 3,
}


@dataclass
class Killer:
    """Kills the worker with SIGKILL at one random moment in each stretch, then restarts it.

    One kill in the first half of the cycle, where mail goes out every few days, waits
    for the next message the SMTP server takes: the worker dies after the server has
    kept it and before it can mark it sent.
    """

    worker: WorkerProcess
    rng: random.Random
    down: list[tuple[float, float]] = field(default_factory=list)
    # The Message-ID the worker died sending.
    trapped: str | None = None
    # The turn notice the worker died sending right after recording the change it tells.
    recorded_then_killed: str | None = None
    _armed: asyncio.AbstractEventLoop | None = None
    _turn_armed: asyncio.AbstractEventLoop | None = None
    _guard: threading.Lock = field(default_factory=threading.Lock)
    _sprung: asyncio.Event = field(default_factory=asyncio.Event)
    # One kill and restart at a time, scheduled or aimed.
    _cycling: asyncio.Lock = field(default_factory=asyncio.Lock)
    _restarting: asyncio.Task[None] | None = None

    async def run(self, start: float, end: float, kills: int) -> None:
        """Kill `kills` times between the loop times `start` and `end`."""
        loop = asyncio.get_running_loop()
        stretch = (end - start) / kills
        trap = self.rng.randrange(1, kills // 2)
        for n in range(kills):
            at = start + (n + self.rng.random()) * stretch
            if self.down:
                # A kill that waited for mail may have run late: let the next worker start.
                at = max(at, self.down[-1][1] + self.rng.uniform(1, 3))
            await asyncio.sleep(max(0.0, at - loop.time()))
            if n == trap:
                await self._on_next_message(loop, 3 * stretch)
            await self._kill_and_restart(self.rng.uniform(0.2, 2.0))

    async def _kill_and_restart(self, pause: float) -> None:
        """Kill the worker (if a trap has not just done it), and start another after `pause`."""
        loop = asyncio.get_running_loop()
        async with self._cycling:
            self.worker.kill()
            killed = loop.time()
            await asyncio.sleep(pause)
            self.worker.start()
            self.down.append((killed, loop.time()))

    def on_next_turn_notice(self) -> None:
        """Kill as the SMTP server takes the next turn notice: `record_and_tell` sends it
        right after recording the action, inside the workflow task that made the action,
        so the worker dies with the change recorded and the task incomplete. The task's
        next attempt comes a task timeout later (more than three days here) and may decide
        otherwise under the same seq: the recorder supersedes (db/records.py)."""
        with self._guard:
            self._turn_armed = asyncio.get_running_loop()

    async def _on_next_message(self, loop: asyncio.AbstractEventLoop, patience: float) -> None:
        """Kill as the SMTP server takes its next message; give up if none came in time."""
        with self._guard:
            self._armed = loop
        try:
            await asyncio.wait_for(self._sprung.wait(), patience)
        except TimeoutError:
            with self._guard:
                missed, self._armed = self._armed is not None, None
            if not missed:
                await self._sprung.wait()

    def delivered(self, delivery: Delivery) -> None:
        """The SMTP server kept a message (its thread runs this): if armed, kill the worker now."""
        message_id = message_from_bytes(delivery.data, policy=policy.default)["Message-ID"]
        with self._guard:
            turn = self._turn_armed if message_id.startswith("<turn.") else None
            if turn is not None:
                self._turn_armed = None
            else:
                loop, self._armed = self._armed, None
        if turn is not None:
            asyncio.run_coroutine_threadsafe(self._kill_after_recording(message_id), turn).result(
                30
            )
            return
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._kill(message_id), loop).result(30)

    async def _kill_after_recording(self, message_id: str) -> None:
        self.worker.kill()
        self.recorded_then_killed = message_id
        self._restarting = asyncio.create_task(self._kill_and_restart(1.0))

    async def _kill(self, message_id: str) -> None:
        self.worker.kill()
        self.trapped = message_id
        self._sprung.set()


@dataclass
class Patient:
    """Sends actions like a client that retries: the same update id until an answer comes."""

    client: Client
    spans: list[tuple[float, float]] = field(default_factory=list)
    resent: int = 0

    async def __call__(
        self, commitment: str, update: Update[Any], request: BaseModel
    ) -> ActionResult:
        """Send one action and wait for its answer, asking again when it is slow."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        update_id = f"crash-{uuid.uuid4().hex}"
        while True:
            sent = actions.act(self.client, commitment, update, request, update_id=update_id)
            try:
                result = await asyncio.wait_for(sent, ANSWER_SECONDS)
            # Cancelled while it waits, the client raises its own error rather than a timeout.
            except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
                assert loop.time() - began < PATIENCE_SECONDS, f"{update} on {commitment}"
                self.resent += 1
                continue
            except ActionRefused:
                self.spans.append((began, loop.time()))
                raise
            self.spans.append((began, loop.time()))
            return result

    def waited_through_kills(self, down: list[tuple[float, float]]) -> int:
        """Actions under way while the worker was down or being killed."""
        return sum(any(s < up and e > killed for killed, up in down) for s, e in self.spans)


def locked_out(refusal: ActionRefused, quarter: int) -> int:
    """The quarter a report was refused for, provided the refusal says it came too late.

    A kill during an activity holds the commitment up until the activity's timeout (two
    minutes, 40 days of this cycle), and a report reaching its workflow after the quarter
    locked, or after the last lock completed the commitment, is refused: the only
    refusals the test allows.
    """
    too_late = (f"quarter {quarter} is locked", "in stage 'completed'")
    assert any(reason in refusal.reason for reason in too_late), refusal.reason
    return quarter


async def whole_year(
    demo: Demo, regency: Regency, start: datetime, killer: Killer | None = None
) -> list[int]:
    """The first story, then each later quarter reported before it is due and verified;
    the worker killed as the second quarter's report is told to the reviewers.

    Return the quarters whose report came too late, refused as locked.
    """
    refused = []
    try:
        await d.signed_and_reporting(demo, regency)
    except ActionRefused as refusal:
        refused.append(locked_out(refusal, 1))
    for quarter in demo.spec.schedule.quarters[1:]:
        due = (quarter.report_due - start) / DAY
        await demo.day(due - 2.5)
        if killer is not None and quarter.quarter == 2:
            killer.on_next_turn_notice()
        try:
            await demo.report(regency, quarter.quarter)
        except ActionRefused as refusal:
            refused.append(locked_out(refusal, quarter.quarter))
            continue
        await demo.day(due - 1.5)
        await demo.verify(regency, quarter.quarter)
    return refused


def workflow_ids(cycle: str, codes: list[str]) -> list[str]:
    """The cycle's workflow and its commitments'."""
    return [cycle_workflow_id(cycle)] + [commitment_workflow_id(f"{cycle}:{c}") for c in codes]


async def busy(client: Client, url: str, cycle: str, codes: list[str]) -> str | None:
    """What is still in flight (an activity pending, a message unsent, an event unrecorded)."""
    for workflow_id in workflow_ids(cycle, codes):
        described = await client.get_workflow_handle(workflow_id).describe()
        for pending in described.raw_description.pending_activities:
            return (
                f"{workflow_id}: activity {pending.activity_type.name} attempt {pending.attempt} "
                f"({pending.state}), last failure: {pending.last_failure.message!r}"
            )
    with transaction(session_factory(url)) as session:
        for reminder in mail.list_reminders(session, cycle_id=cycle):
            # A superseded change's notice is never tried again (db/mail.py).
            if reminder.sent_at is None and not mail.is_set_aside(reminder.dedupe_key):
                return f"unsent: {reminder.kind} {reminder.dedupe_key} to {reminder.recipient}"
        rows = {r.regency_code: r for r in reads.list_commitments(session, cycle_id=cycle)}
    for code in codes:
        state = await current(client, commitment_id(cycle, code))
        if rows[code].last_seq != state.seq:
            return f"{code}: recorded up to {rows[code].last_seq}, the workflow is at {state.seq}"
    return None


async def situation(client: Client, cycle: str, codes: list[str]) -> str:
    """Each workflow's status, pending workflow task and activities: for a failure message."""
    lines = []
    for workflow_id in workflow_ids(cycle, codes):
        raw = (await client.get_workflow_handle(workflow_id).describe()).raw_description
        task = raw.pending_workflow_task if raw.HasField("pending_workflow_task") else None
        lines.append(
            f"{workflow_id}: {Status.Name(raw.workflow_execution_info.status)}, history "
            f"{raw.workflow_execution_info.history_length} events, workflow task "
            f"{f'attempt {task.attempt} {TaskState.Name(task.state)}' if task else 'none'}, "
            f"{len(raw.pending_activities)} activities pending"
        )
    return "\n".join(lines)


async def current(client: Client, commitment: str) -> CommitmentState:
    """A commitment's state as its workflow holds it."""
    handle = client.get_workflow_handle(commitment_workflow_id(commitment))
    return await handle.query(CommitmentWorkflow.current)


async def taken_over(client: Client, workflow_ids: list[str]) -> Counter[str]:
    """Workflow tasks timed out and activities run again after a kill, over every run."""
    counted: Counter[str] = Counter()
    for workflow_id in workflow_ids:
        async for run in client.list_workflows(f"WorkflowId = '{workflow_id}'"):
            handle = client.get_workflow_handle(workflow_id, run_id=run.run_id)
            for event in (await handle.fetch_history()).events:
                if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
                    counted["workflow tasks"] += 1
                elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                    # A retried activity's one started event carries its last attempt.
                    counted["activities"] += (
                        event.activity_task_started_event_attributes.attempt - 1
                    )
    return counted


def check_projection(url: str, cycle: str, states: dict[str, CommitmentState]) -> int:
    """Each commitment's rows equal its workflow's state; return the audit rows checked."""
    with transaction(session_factory(url)) as s:
        rows = {r.regency_code: r for r in reads.list_commitments(s, cycle_id=cycle)}
        assert set(rows) == set(states)
        for code, state in states.items():
            row, cid = rows[code], commitment_id(cycle, code)
            assert (
                row.stage,
                row.round,
                row.latest_version,
                row.approved_version,
                row.document_hash,
                row.last_seq,
            ) == (
                state.stage.value,
                state.round,
                state.version,
                state.approved_version,
                state.approved_hash,
                state.seq,
            ), code
            seqs = sorted(e.seq for e in reads.list_audit(s, cycle_id=cycle, stream=cid))
            assert seqs == list(range(1, state.seq + 1)), code
            versions = [v.number for v in reads.list_versions(s, commitment_id=cid)]
            assert sorted(versions) == list(range(1, state.version + 1)), code
            signatures = [
                (g.office, g.version, g.document_hash)
                for g in reads.list_signatures(s, commitment_id=cid)
            ]
            assert sorted(signatures) == sorted(
                (office, g.version, g.document_hash) for office, g in state.signatures.items()
            ), code
            reports = {
                r.quarter: (r.state, r.timeliness) for r in reads.list_reports(s, commitment_id=cid)
            }
            assert reports == {
                q: (r.state.value, r.timeliness.value) for q, r in state.reports.items()
            }, code
        cycle_seqs = sorted(
            e.seq for e in reads.list_audit(s, cycle_id=cycle, stream=f"cycle:{cycle}")
        )
        assert cycle_seqs == list(range(1, len(cycle_seqs) + 1))
        chain = reads.verify_audit_chain(s, cycle_id=cycle)
        assert chain.broken is None, chain.broken
        # The chain holds superseded rows too, which the trail leaves out.
        audited = reads.count_audit(s, cycle_id=cycle)
        assert chain.checked == audited
        return audited


def check_mail(url: str, cycle: str, sink: SmtpSink, killer: Killer) -> tuple[int, int]:
    """Every message marked sent arrived, under its own Message-ID; return (ids, repeats)."""
    with transaction(session_factory(url)) as s:
        rows = mail.list_reminders(s, cycle_id=cycle)
        # Unmarked only if set aside: the notice of a superseded change, which the worker
        # may have died sending (the test's kill as a report is told).
        assert all(r.sent_at is not None or mail.is_set_aside(r.dedupe_key) for r in rows)
        to_whom = {r.message_id: r.recipient for r in rows}
    copies: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for message in sink.messages:
        copies[message["Message-ID"]].append((parseaddr(message["To"])[1], message["Subject"]))
    assert set(copies) == set(to_whom), (
        f"received but never claimed: {sorted(set(copies) - set(to_whom))}; "
        f"claimed but never received: {sorted(set(to_whom) - set(copies))}"
    )
    for message_id, received in copies.items():
        assert {to for to, _ in received} == {to_whom[message_id]}, message_id
        assert len(set(received)) == 1, f"{message_id} went out with different subjects"
    # The message the worker died sending went out again, under the same Message-ID.
    assert killer.trapped is not None, "no message was under way at the chosen kill"
    assert len(copies[killer.trapped]) >= 2, killer.trapped
    repeats = sum(len(received) - 1 for received in copies.values())
    assert repeats <= len(killer.down), f"{repeats} repeated messages after {killer.down} kills"
    return len(copies), repeats


@pytest.mark.slow
@pytest.mark.temporal
async def test_the_worker_survives_sigkill_across_a_whole_cycle(tmp_path: Path) -> None:
    seed = int(os.environ.get("KOMITMEN_CRASH_SEED") or random.SystemRandom().randrange(10**6))
    print(f"worker crash: seed {seed} (KOMITMEN_CRASH_SEED={seed} replays the kill schedule)")
    loop = asyncio.get_running_loop()
    began = loop.time()
    with (
        SmtpSink() as sink,
        postgres_database() as url,
        komitmen_stack(
            tmp_path, database_url=url, smtp_host=sink.host, smtp_port=sink.port
        ) as stack,
    ):
        client = await stack.server.connect()
        patient = Patient(client)
        # The first reminders fall a compressed day after the start: no time to lose to
        # a worker still starting.
        await asyncio.to_thread(stack.worker.wait_ready)
        start = datetime.now(WITA)
        demo = await start_demo(
            client, stack.settings, now=start, regencies=5, day_length=DAY, send=patient
        )
        cycle = demo.spec.cycle_id
        stories = {regency.kemendagri_code: story for regency, story in demo.stories}
        codes = list(stories)
        full, first = demo.stories[0]
        refused: list[int] = []

        killer = Killer(stack.worker, random.Random(seed))
        sink.on_delivery = killer.delivered

        async def year(demo: Demo, regency: Regency) -> None:
            refused.extend(await whole_year(demo, regency, start, killer))

        demo.stories[0] = (full, Story(first.summary, year))
        last_lock = demo.spec.schedule.quarters[-1].lock
        end = demo.began + (last_lock - start).total_seconds()
        await asyncio.gather(demo.play(), killer.run(demo.began + 1, end, KILLS))
        await asyncio.sleep(max(0.0, end - loop.time()) + DAY.total_seconds())

        # The last kill may have caught an activity, which then waits out its timeout.
        waiting = loop.time()
        while still := await busy(client, url, cycle, codes):
            assert loop.time() - waiting < PATIENCE_SECONDS, (
                f"seed {seed}: {still}\n{await situation(client, cycle, codes)}\n"
                f"worker:\n{stack.worker.tail()}"
            )
            await asyncio.sleep(1)
        settled_in = loop.time() - waiting

        states = {code: await current(client, commitment_id(cycle, code)) for code in codes}
        assert {c: s.stage for c, s in states.items()} == {
            c: ENDS_IN[story.play] for c, story in stories.items()
        }
        assert {c: len(s.signatures) for c, s in states.items()} == {
            c: SIGNATURES.get(story.play, 0) for c, story in stories.items()
        }
        year_reports = states[full.kemendagri_code].reports
        assert (states[full.kemendagri_code].version, states[full.kemendagri_code].round) == (2, 2)
        assert {q: r.state for q, r in year_reports.items()} == {
            q: ReportState.MISSING if q in refused else ReportState.VERIFIED for q in (1, 2, 3, 4)
        }
        status = await client.get_workflow_handle(cycle_workflow_id(cycle)).query(
            CycleWorkflow.status
        )
        ended = {c: s.stage for c, s in states.items() if s.stage.is_terminal}
        assert (sorted(status.open), status.ended) == (sorted(set(states) - set(ended)), ended)

        audited = check_projection(url, cycle, states)
        emails, repeats = check_mail(url, cycle, sink, killer)

        check_timers_alone(url, cycle, next(c for c, t in stories.items() if t.play is IDLE))
        # The kill as a report was told came between its recording's commit and its
        # workflow task's completion. A report sent before its due date is late by the
        # time the task's retry comes, which records it otherwise under the same seq: the
        # recorder superseded what the lost task recorded (db/records.py), and
        # check_projection found the rows matching the workflows all the same. (A report
        # held up past its due date by earlier kills is late either way: nothing to
        # supersede; tests/db/test_repository.py covers superseding on its own.)
        superseded = [
            line
            for line in stack.worker.log.read_text().splitlines()
            if "never completed" in line and "superseded" in line
        ]

        again = await taken_over(
            client,
            workflow_ids(cycle, codes),
        )
        assert len(killer.down) == KILLS + (killer.recorded_then_killed is not None)
        print(
            f"worker crash: seed {seed}, {KILLS} SIGKILLs and restarts; {len(patient.spans)} "
            f"actions, {patient.waited_through_kills(killer.down)} under way through a kill, "
            f"{patient.resent} resends under their update id, {len(refused)} reports refused "
            f"as too late; {again['workflow tasks']} workflow tasks and {again['activities']} "
            f"activity attempts taken over by the next worker; {audited} audit rows; "
            f"{emails} emails checked, {repeats} sent twice under one Message-ID (killed as "
            f"the server took {killer.trapped}); killed after recording "
            f"{killer.recorded_then_killed}, {len(superseded)} changes of a lost workflow "
            f"task superseded; settled {settled_in:.0f} s after the last lock; "
            f"{loop.time() - began:.0f} s"
        )


def check_timers_alone(url: str, cycle: str, code: str) -> None:
    """The regency nobody acts for got exactly its three reminders and two escalations."""
    digits = code.replace(".", "")
    with transaction(session_factory(url)) as s:
        sent = {
            (r.kind, r.deadline_key, r.days, r.recipient)
            for r in mail.list_reminders(s, cycle_id=cycle)
            if r.commitment_id == commitment_id(cycle, code)
        }
    assert sent == {
        ("digest", "drafting", 7, f"operator-{digits}@example.org"),
        ("digest", "drafting", 3, f"operator-{digits}@example.org"),
        ("digest", "drafting", 1, f"operator-{digits}@example.org"),
        ("escalation", "drafting", -1, f"kalak-{digits}@example.org"),
        ("escalation", "drafting", -7, "manajer@example.org"),
    }
