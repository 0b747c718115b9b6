"""One regency's commitment as pure state: its obligations, actions and timed events.

`CommitmentWorkflow` holds a `CommitmentState` and calls the functions here: a
`check_*` function refuses an action synchronously (it backs the update
validator), an `apply_*` function changes the state and returns the `Event` that
the database records. Nothing here reads the clock; `now` is always passed in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar import WorkingCalendar, end_of_day, wita_date
from domain.document import DocumentFormat, version_hash
from domain.errors import TransitionRefused
from domain.plan import ActionItem, ActionPlan, ShortText, Text, WholeNumber
from domain.refusals import RefusalCode as R
from domain.refusals import refused
from domain.reports import QuarterlyReport, ReportState, Timeliness, timeliness
from domain.roles import SYSTEM, Acting, Actor
from domain.schedule import ResolvedSchedule
from domain.stages import Action, Stage, check_transition, leads_to


class DeadlineKey(StrEnum):
    """A deadline a coordinator can see and extend."""

    DRAFTING = "drafting"
    REVIEW = "review"
    SIGNING = "signing"
    Q1 = "q1"
    Q2 = "q2"
    Q3 = "q3"
    Q4 = "q4"
    Q1_LOCK = "q1_lock"
    Q2_LOCK = "q2_lock"
    Q3_LOCK = "q3_lock"
    Q4_LOCK = "q4_lock"

    @property
    def quarter(self) -> int | None:
        """The quarter a report or lock deadline belongs to."""
        return int(self.value[1]) if self.value.startswith("q") else None

    @property
    def is_lock(self) -> bool:
        """True for the date after which a quarter's report can no longer come in."""
        return self.value.endswith("_lock")


def report_key(quarter: int) -> DeadlineKey:
    """The report-due deadline of a quarter."""
    return DeadlineKey(f"q{quarter}")


def lock_key(quarter: int) -> DeadlineKey:
    """The lock deadline of a quarter."""
    return DeadlineKey(f"q{quarter}_lock")


class Audience(StrEnum):
    """Who a reminder or escalation goes to, resolved to people when it is sent."""

    REGENCY_OFFICER = "regency_officer"
    REVIEWER = "reviewer"
    SIGNATORY = "signatory"
    REGENCY_HEAD = "regency_head"
    MANAGER = "manager"
    COORDINATOR = "coordinator"


class ReminderKind(StrEnum):
    """A reminder comes before a deadline, an escalation after it."""

    REMINDER = "reminder"
    ESCALATION = "escalation"


class SignatureMethod(StrEnum):
    """How a cycle's signatories sign the approved document (`docs/signing.md`)."""

    CONFIRMED = "confirmed"
    """Signed in Komitmen by the signed-in signatory (the form before wet and TTE)."""
    WET = "wet"
    """Signed in ink and stamped on paper; the office uploads the scan."""
    CERTIFIED = "certified"
    """A certified electronic signature (TTE) through BSrE on the generated PDF."""


class CarriedItems(BaseModel):
    """Last cycle's unfinished items a commitment starts with, as its first version.

    Each item carries its `carried_from` mark (the earlier cycle, its position there and
    its last verified realisation); `actor` is the coordinator who started the cycle, in
    whose name the version is saved.
    """

    model_config = ConfigDict(frozen=True)

    from_cycle: str
    actor: Actor
    items: tuple[ActionItem, ...] = Field(min_length=1)


class CommitmentSpec(BaseModel):
    """What a commitment is started with: fixed for its whole life."""

    model_config = ConfigDict(frozen=True)

    cycle_id: str
    cycle_name: str
    regency_code: str
    regency_name: str
    signatories: tuple[str, ...]
    ordered_signing: bool = False
    signature_method: SignatureMethod = SignatureMethod.CONFIRMED
    schedule: ResolvedSchedule
    calendar: WorkingCalendar
    carried: CarriedItems | None = None
    """Items carried over from an earlier cycle: saved as version 1 at the start."""

    @property
    def commitment_id(self) -> str:
        """The commitment's id, also the stem of its workflow id."""
        return commitment_id(self.cycle_id, self.regency_code)


def commitment_id(cycle_id: str, regency_code: str) -> str:
    """A commitment's id: its cycle and its regency's Kemendagri code."""
    return f"{cycle_id}:{regency_code}"


def split_commitment_id(commitment_id: str) -> tuple[str, str]:
    """The cycle id and regency code a commitment's id is made of."""
    cycle_id, _, regency_code = commitment_id.rpartition(":")
    return cycle_id, regency_code


class ReportRecord(BaseModel):
    """What the workflow remembers of one quarter's report."""

    state: ReportState
    timeliness: Timeliness
    submitted_at: datetime | None = None


class Obligation(BaseModel):
    """Something someone owes by a deadline, as long as it is open."""

    model_config = ConfigDict(frozen=True)

    key: DeadlineKey
    due_at: datetime
    audience: Audience
    offices: tuple[str, ...] = ()


class ReminderIntent(BaseModel):
    """A reminder or escalation that fell due; resolved to recipients when sent."""

    model_config = ConfigDict(frozen=True)

    commitment_id: str
    cycle_id: str
    cycle_name: str
    regency_code: str
    regency_name: str
    deadline_key: DeadlineKey
    due_at: datetime
    days: int
    kind: ReminderKind
    audience: Audience
    offices: tuple[str, ...] = ()
    fires_at: datetime


class ReviewComment(BaseModel):
    """A reviewer's comment, on one item (1-based position) or on the whole plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_position: WholeNumber | None = Field(default=None, ge=1)
    text: Text


class SignatureEvidence(BaseModel):
    """The file behind a wet or certified signature, kept by the API before the signature.

    A wet signature's evidence is the signed, stamped scan; a certified one's is the
    PAdES-signed PDF the signing service returned, validated before it was accepted.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    media_type: str = Field(min_length=1, max_length=100)
    document_id: str | None = Field(default=None, max_length=200)
    """The signing service's id of the signed document (BSrE's `id_dokumen`)."""


class Signature(BaseModel):
    """A signatory's signature on the approved document."""

    model_config = ConfigDict(frozen=True)

    office: str
    signer_name: str
    acting: Acting
    nip: str | None
    version: int
    document_hash: str
    signed_at: datetime
    method: SignatureMethod = SignatureMethod.CONFIRMED
    evidence: SignatureEvidence | None = None


class DecidedIn(BaseModel):
    """The workflow task that made a change: its run, and how long the run's history was
    when the task started. A later task of the run, and a later attempt of the same task
    (after one that never completed), start on a longer history (`db.records`)."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    history_length: int

    def later_than(self, other: DecidedIn) -> bool:
        """Whether this task came after `other`; runs are not compared (a run continued as
        new starts its history again, after the last task of the one before)."""
        return self.run_id == other.run_id and self.history_length > other.history_length


class Event(BaseModel):
    """A change to one commitment, numbered by `seq`, as the database records it."""

    commitment_id: str
    cycle_id: str
    regency_code: str
    seq: int
    action: str
    actor: Actor
    from_stage: Stage
    to_stage: Stage
    occurred_at: datetime
    round: int
    version: int
    approved_version: int | None
    document_hash: str | None
    next_due_at: datetime | None
    overdue_since: datetime | None
    deadlines: dict[DeadlineKey, datetime]
    reason: str | None = None
    plan: ActionPlan | None = None
    document_format: DocumentFormat | None = None
    """With a saved plan: the format of its document (`domain.document`)."""
    version_hash: str | None = None
    """With a saved plan: its document hash, which the record checks it reproduces."""
    comments: tuple[ReviewComment, ...] = ()
    reviewed_round: int | None = None
    signature: Signature | None = None
    report: QuarterlyReport | None = None
    quarter: int | None = None
    report_state: ReportState | None = None
    report_timeliness: Timeliness | None = None
    carried_from: str | None = None
    """With a version saved from carried-over items: the cycle they were carried from."""
    decided_in: DecidedIn | None = None
    """The workflow task that made the change, which the workflow adds as it records it."""


# --- requests: one model per human action -------------------------------------------


class SaveDraft(BaseModel):
    """Save a new version of the action plan."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor
    plan: ActionPlan
    based_on_version: int = Field(ge=0, description="the version this edit started from")


class Submit(BaseModel):
    """Submit a saved version for review."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor
    version: int = Field(ge=1)


class Approve(BaseModel):
    """Approve the submitted version."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor
    version: int = Field(ge=1)


class RequestChanges(BaseModel):
    """Send the submitted version back for another drafting round."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor
    version: int = Field(ge=1)
    comments: tuple[ReviewComment, ...] = Field(min_length=1, max_length=500)


class Sign(BaseModel):
    """Sign the approved document in one office."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor
    document_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    evidence: SignatureEvidence | None = None
    """Required when the cycle signs wet or certified; refused when it signs in Komitmen."""


class Decline(BaseModel):
    """Decline to sign, sending the commitment back to review."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor
    reason: Text


class SubmitReport(BaseModel):
    """Report a quarter's progress."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor
    report: QuarterlyReport


class VerifyReport(BaseModel):
    """Verify a submitted quarterly report."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor
    quarter: int = Field(ge=1, le=4)


class ReturnReport(BaseModel):
    """Return a quarterly report to the regency for correction."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor
    quarter: int = Field(ge=1, le=4)
    reason: Text


class ExtendDeadline(BaseModel):
    """Move a deadline later; its reminders move with it."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor
    key: DeadlineKey
    until: date
    reason: Text


class Withdraw(BaseModel):
    """Withdraw the regency from the cycle."""

    model_config = ConfigDict(extra="forbid")
    actor: Actor
    reason: ShortText


class Cancel(BaseModel):
    """Cancel the commitment because its cycle is cancelled."""

    actor: Actor
    reason: str


# --- state ---------------------------------------------------------------------------


class CommitmentState(BaseModel):
    """Everything the workflow knows of one commitment; carried across continue-as-new."""

    spec: CommitmentSpec
    stage: Stage = Stage.DRAFTING
    seq: int = 0
    round: int = 1
    version: int = 0
    version_hash: str | None = None
    version_item_count: int = 0
    submitted_version: int | None = None
    approved_version: int | None = None
    approved_hash: str | None = None
    approved_item_count: int = 0
    signatures: dict[str, Signature] = Field(default_factory=dict)
    deadlines: dict[DeadlineKey, datetime] = Field(default_factory=dict)
    reports: dict[int, ReportRecord] = Field(default_factory=dict)
    locked: set[int] = Field(default_factory=set)
    clock: datetime
    started_at: datetime
    escalated: set[str] | None = None
    """The escalations sent (`escalation_key`), so each goes out once; None in runs that
    began before missed escalations were caught up (see `missed_escalations`)."""

    @classmethod
    def start(cls, spec: CommitmentSpec, now: datetime) -> CommitmentState:
        """A new commitment in drafting with the cycle's deadlines."""
        sched = spec.schedule
        deadlines = {
            DeadlineKey.DRAFTING: sched.drafting_due,
            DeadlineKey.SIGNING: sched.signing_due,
        }
        for q in sched.quarters:
            deadlines[report_key(q.quarter)] = q.report_due
            deadlines[lock_key(q.quarter)] = q.lock
        return cls(spec=spec, deadlines=deadlines, clock=now, started_at=now, escalated=set())

    @property
    def pending_offices(self) -> tuple[str, ...]:
        """Offices that still have to sign, in signing order."""
        return tuple(o for o in self.spec.signatories if o not in self.signatures)


# --- obligations, overdue, timed events ----------------------------------------------


_STAGE_DEADLINES = {
    Stage.DRAFTING: (DeadlineKey.DRAFTING, Audience.REGENCY_OFFICER),
    Stage.REVIEW: (DeadlineKey.REVIEW, Audience.REVIEWER),
    Stage.SIGNING: (DeadlineKey.SIGNING, Audience.SIGNATORY),
}
_STAGE_OWES = {stage: [key] for stage, (key, _) in _STAGE_DEADLINES.items()}
_REPORT_KEYS = tuple((q, report_key(q)) for q in (1, 2, 3, 4))
_OWED_REPORT = (None, ReportState.RETURNED)


def owed_deadlines(
    stage: Stage, reports: Mapping[int, str], locked: Collection[int]
) -> list[DeadlineKey]:
    """The rule of what a commitment owes now, as the keys of the deadlines it is owed by.

    Drafting, review and signing owe their stage's deadline; follow-up owes each
    quarter's report that is not locked and not in (or was returned). The workflow
    applies it to its state, the overdue list to the recorded rows (a page of them
    per request, so it is kept cheap).
    """
    if stage is Stage.FOLLOW_UP:
        return [
            key for q, key in _REPORT_KEYS if q not in locked and reports.get(q) in _OWED_REPORT
        ]
    return list(_STAGE_OWES.get(stage, ()))


def open_obligations(state: CommitmentState) -> list[Obligation]:
    """What is owed now, by whom, by when."""
    reports = {q: r.state for q, r in state.reports.items()}
    obligations = []
    for key in owed_deadlines(state.stage, reports, state.locked):
        if key not in state.deadlines:
            continue  # no review deadline yet: the province's review clock has not started
        audience = (
            _STAGE_DEADLINES[state.stage][1] if key.quarter is None else Audience.REGENCY_OFFICER
        )
        offices = state.pending_offices if audience == Audience.SIGNATORY else ()
        obligations.append(
            Obligation(key=key, due_at=state.deadlines[key], audience=audience, offices=offices)
        )
    return obligations


def overdue_since(state: CommitmentState, now: datetime) -> datetime | None:
    """The earliest passed deadline among open obligations, if any."""
    passed = [o.due_at for o in open_obligations(state) if o.due_at <= now]
    return min(passed, default=None)


def next_due(state: CommitmentState) -> datetime | None:
    """The earliest deadline among open obligations, passed or not."""
    return min((o.due_at for o in open_obligations(state)), default=None)


def _escalation_audience(obligation: Obligation, first: bool) -> Audience:
    # The province's own lateness (review) escalates straight to its managers.
    if first and obligation.audience != Audience.REVIEWER:
        return Audience.REGENCY_HEAD
    return Audience.MANAGER


def reminder_intents(state: CommitmentState) -> list[ReminderIntent]:
    """Every reminder and escalation the open obligations call for, at any time."""
    sched = state.spec.schedule
    spec = state.spec
    intents: list[ReminderIntent] = []
    for ob in open_obligations(state):
        plan: list[tuple[int, ReminderKind, Audience]] = [
            (days, ReminderKind.REMINDER, ob.audience) for days in sched.reminder_days_before
        ]
        plan.append(
            (
                -sched.escalate_head_days_after,
                ReminderKind.ESCALATION,
                _escalation_audience(ob, first=True),
            )
        )
        plan.append(
            (
                -sched.escalate_manager_days_after,
                ReminderKind.ESCALATION,
                _escalation_audience(ob, first=False),
            )
        )
        for days, kind, audience in plan:
            intents.append(
                ReminderIntent(
                    commitment_id=spec.commitment_id,
                    cycle_id=spec.cycle_id,
                    cycle_name=spec.cycle_name,
                    regency_code=spec.regency_code,
                    regency_name=spec.regency_name,
                    deadline_key=ob.key,
                    due_at=ob.due_at,
                    days=days,
                    kind=kind,
                    audience=audience,
                    offices=ob.offices if audience == Audience.SIGNATORY else (),
                    fires_at=sched.reminder_at(ob.due_at, days),
                )
            )
    return intents


def timed_instants(state: CommitmentState) -> list[datetime]:
    """Every future instant at which something happens without a human."""
    instants = [i.fires_at for i in reminder_intents(state)]
    instants += [o.due_at for o in open_obligations(state)]
    instants += [state.deadlines[lock_key(q)] for q in (1, 2, 3, 4) if q not in state.locked]
    return sorted(t for t in instants if t > state.clock)


def next_wakeup(state: CommitmentState) -> datetime | None:
    """When the workflow must next wake up by itself; None if never."""
    if state.stage.is_terminal:
        return None
    return min(timed_instants(state), default=None)


class Tick(BaseModel):
    """What happened between the state's clock and `now`."""

    events: list[Event] = Field(default_factory=list)
    reminders: list[ReminderIntent] = Field(default_factory=list)
    escalations: list[ReminderIntent] = Field(default_factory=list)


def advance(state: CommitmentState, now: datetime) -> Tick:
    """Apply everything timed in (clock, now]: reminders, passed deadlines, quarter locks."""
    tick = Tick()
    if state.stage.is_terminal or now <= state.clock:
        return tick
    since = state.clock
    for intent in reminder_intents(state):
        if since < intent.fires_at <= now:
            if intent.kind == ReminderKind.REMINDER:
                tick.reminders.append(intent)
            elif state.escalated is None or escalation_key(intent) not in state.escalated:
                tick.escalations.append(intent)
    mark_escalated(state, tick.escalations)
    for ob in open_obligations(state):
        if since < ob.due_at <= now:
            tick.events.append(
                _event(
                    state, "deadline_passed", SYSTEM, state.stage, ob.due_at, reason=ob.key.value
                )
            )
    for q in (1, 2, 3, 4):
        lock_at = state.deadlines[lock_key(q)]
        if q not in state.locked and lock_at <= now:
            tick.events.append(_lock_quarter(state, q, lock_at))
    state.clock = now
    return tick


def escalation_key(intent: ReminderIntent) -> str:
    """What makes an escalation one: its deadline, as due, and how many days after it."""
    return f"{intent.deadline_key.value}:{intent.due_at.isoformat()}:{intent.days}"


def _escalations_due_by_clock(state: CommitmentState) -> set[str]:
    return {
        escalation_key(i)
        for i in reminder_intents(state)
        if i.kind == ReminderKind.ESCALATION and i.fires_at <= state.clock
    }


def missed_escalations(state: CommitmentState, now: datetime) -> list[ReminderIntent]:
    """Escalations already due by `now` that have not gone out: those of a deadline that had
    passed before the commitment owed it (a cycle started late, a plan back in drafting
    after its deadline, a signing stage entered after its own). Send them, then mark them.

    A run that began before this rule (no `escalated` record) counts what was due by its
    clock as sent, as the earlier rule sent it or never would.
    """
    if state.stage.is_terminal:
        return []
    sent = state.escalated if state.escalated is not None else _escalations_due_by_clock(state)
    return [
        i
        for i in reminder_intents(state)
        if i.kind == ReminderKind.ESCALATION and i.fires_at <= now and escalation_key(i) not in sent
    ]


def mark_escalated(
    state: CommitmentState, intents: Sequence[ReminderIntent], *, adopt: bool = False
) -> None:
    """Note escalations as sent, so none goes out twice.

    Runs without a record keep none, unless `adopt`: then the record starts with what
    was due by the clock (see `missed_escalations`).
    """
    if not intents:
        return
    if state.escalated is None:
        if not adopt:
            return
        state.escalated = _escalations_due_by_clock(state)
    state.escalated |= {escalation_key(i) for i in intents}


def _lock_quarter(state: CommitmentState, quarter: int, at: datetime) -> Event:
    state.locked.add(quarter)
    if quarter not in state.reports:
        state.reports[quarter] = ReportRecord(
            state=ReportState.MISSING, timeliness=Timeliness.MISSING
        )
    record = state.reports[quarter]
    before = state.stage
    _complete_if_done(state)
    return _event(
        state,
        "quarter_locked",
        SYSTEM,
        before,
        at,
        quarter=quarter,
        report_state=record.state,
        report_timeliness=record.timeliness,
    )


def _complete_if_done(state: CommitmentState) -> None:
    if (
        state.stage == Stage.FOLLOW_UP
        and len(state.locked) == 4
        and all(r.state != ReportState.SUBMITTED for r in state.reports.values())
    ):
        state.stage = Stage.COMPLETED


def _event(
    state: CommitmentState,
    action: str,
    actor: Actor,
    before: Stage,
    now: datetime,
    **payload: object,
) -> Event:
    """Number the change and snapshot what the database shows of the commitment."""
    state.seq += 1
    spec = state.spec
    return Event.model_validate(
        {
            "commitment_id": spec.commitment_id,
            "cycle_id": spec.cycle_id,
            "regency_code": spec.regency_code,
            "seq": state.seq,
            "action": action,
            "actor": actor,
            "from_stage": before,
            "to_stage": state.stage,
            "occurred_at": now,
            "round": state.round,
            "version": state.version,
            "approved_version": state.approved_version,
            "document_hash": state.approved_hash,
            "next_due_at": next_due(state),
            "overdue_since": overdue_since(state, now),
            "deadlines": dict(state.deadlines),
            **payload,
        }
    )


def started_event(state: CommitmentState) -> Event:
    """The first event of a commitment: it exists, in drafting."""
    return _event(state, "started", SYSTEM, Stage.DRAFTING, state.started_at)


# --- human actions ---------------------------------------------------------------------


def _check(state: CommitmentState, action: Action, actor: Actor) -> None:
    check_transition(state.stage, action, actor, state.spec.regency_code)


def check_save_draft(state: CommitmentState, req: SaveDraft) -> None:
    """Refuse a save outside drafting, by the wrong person, or over a newer version."""
    _check(state, Action.SAVE_DRAFT, req.actor)
    if req.based_on_version != state.version:
        raise refused(R.STALE_EDIT, based_on=req.based_on_version, latest=state.version)


def apply_save_draft(
    state: CommitmentState,
    req: SaveDraft,
    now: datetime,
    document_format: DocumentFormat = DocumentFormat.TYPED,
) -> Event:
    """Store a new numbered version, its document written in `document_format`."""
    state.version += 1
    state.version_item_count = len(req.plan.items)
    state.version_hash = version_hash(
        cycle_id=state.spec.cycle_id,
        regency_code=state.spec.regency_code,
        version=state.version,
        plan=req.plan,
        document_format=document_format,
    )
    return _event(
        state,
        Action.SAVE_DRAFT,
        req.actor,
        state.stage,
        now,
        plan=req.plan,
        document_format=document_format,
        version_hash=state.version_hash,
    )


def apply_carried(state: CommitmentState, now: datetime) -> Event | None:
    """Save the carried-over items as the first version, in the coordinator's name; None
    when the commitment carries nothing or has a version already.

    The same change as a `save_draft` (`apply_save_draft`), written in the current
    document format, so the officer then keeps, edits or drops items by saving a new
    version as usual. Not an officer's action, so the transition table is not asked.
    """
    carried = state.spec.carried
    if carried is None or state.version != 0 or state.stage is not Stage.DRAFTING:
        return None
    plan = ActionPlan(items=carried.items)
    request = SaveDraft(actor=carried.actor, plan=plan, based_on_version=0)
    event = apply_save_draft(state, request, now, DocumentFormat.for_plan(plan))
    return event.model_copy(update={"carried_from": carried.from_cycle})


def _require_version(given: int, expected: int | None, what: str) -> None:
    if expected is None or given != expected:
        raise refused(R.STALE_VERSION, what=what, expected=str(expected), given=given)


def check_submit(state: CommitmentState, req: Submit) -> None:
    """Refuse submitting anything but the latest saved version."""
    _check(state, Action.SUBMIT, req.actor)
    if state.version == 0:
        raise refused(R.NOTHING_TO_SUBMIT)
    _require_version(req.version, state.version, "the latest saved draft")


def apply_submit(state: CommitmentState, req: Submit, now: datetime) -> Event:
    """Send the latest version to review, starting the review clock."""
    before, state.stage = state.stage, leads_to(state.stage, Action.SUBMIT)
    state.submitted_version = req.version
    state.deadlines[DeadlineKey.REVIEW] = state.spec.schedule.review_due(now, state.spec.calendar)
    return _event(state, Action.SUBMIT, req.actor, before, now)


def check_approve(state: CommitmentState, req: Approve) -> None:
    """Refuse approving anything but the submitted version."""
    _check(state, Action.APPROVE, req.actor)
    _require_version(req.version, state.submitted_version, "the submitted draft")


def apply_approve(state: CommitmentState, req: Approve, now: datetime) -> Event:
    """Approve the submitted version; signatures on another document no longer count."""
    before, state.stage = state.stage, leads_to(state.stage, Action.APPROVE)
    state.approved_version = req.version
    new_hash = state.version_hash if req.version == state.version else state.approved_hash
    if new_hash != state.approved_hash:
        state.signatures = {}
    state.approved_hash = new_hash
    state.approved_item_count = state.version_item_count
    state.deadlines.pop(DeadlineKey.REVIEW, None)
    return _event(state, Action.APPROVE, req.actor, before, now)


def check_request_changes(state: CommitmentState, req: RequestChanges) -> None:
    """Refuse change requests on a stale version or on items that do not exist."""
    _check(state, Action.REQUEST_CHANGES, req.actor)
    _require_version(req.version, state.submitted_version, "the submitted draft")
    for c in req.comments:
        if c.item_position is not None and c.item_position > state.version_item_count:
            raise refused(
                R.NO_SUCH_ITEM_COMMENTED, item=c.item_position, count=state.version_item_count
            )


def apply_request_changes(state: CommitmentState, req: RequestChanges, now: datetime) -> Event:
    """Return the plan to drafting for a new round."""
    before, state.stage = state.stage, leads_to(state.stage, Action.REQUEST_CHANGES)
    state.round += 1
    state.deadlines.pop(DeadlineKey.REVIEW, None)
    return _event(
        state,
        Action.REQUEST_CHANGES,
        req.actor,
        before,
        now,
        comments=req.comments,
        reviewed_round=state.round - 1,
    )


def check_sign(state: CommitmentState, req: Sign) -> None:
    """Refuse a signature from an office not required, twice, out of order, or on another text."""
    _check(state, Action.SIGN, req.actor)
    refusal = signing_refusal(
        req.actor.office,
        signatories=state.spec.signatories,
        signed=state.signatures.keys(),
        ordered=state.spec.ordered_signing,
    )
    if refusal is not None:
        raise refusal
    method = state.spec.signature_method
    if method is not SignatureMethod.CONFIRMED and req.evidence is None:
        raise refused(R.FILE_REQUIRED, method=method.value)
    if method is SignatureMethod.CONFIRMED and req.evidence is not None:
        raise refused(R.FILE_NOT_TAKEN)
    if req.document_hash != state.approved_hash:
        raise refused(
            R.STALE_DOCUMENT, version=str(state.approved_version), hash=str(state.approved_hash)
        )


def signing_refusal(
    office: str | None, *, signatories: Sequence[str], signed: Collection[str], ordered: bool
) -> TransitionRefused | None:
    """Why this office may not sign the approved document now; None if it may.

    The workflow raises this refusal; the pages offer the signing form only where it is
    None.
    """
    if office not in signatories:
        return refused(R.NOT_A_SIGNATORY, office=str(office), required=", ".join(signatories))
    if office in signed:
        return refused(R.ALREADY_SIGNED, office=str(office))
    pending = [o for o in signatories if o not in signed]
    if ordered and pending[0] != office:
        return refused(R.NOT_YOUR_TURN, first=pending[0])
    return None


def apply_sign(state: CommitmentState, req: Sign, now: datetime) -> Event:
    """Record a signature; the last one moves the commitment into follow-up."""
    assert req.actor.office is not None and state.approved_version is not None
    signature = Signature(
        office=req.actor.office,
        signer_name=req.actor.name,
        acting=req.actor.acting,
        nip=req.actor.nip,
        version=state.approved_version,
        document_hash=req.document_hash,
        signed_at=now,
        method=state.spec.signature_method,
        evidence=req.evidence,
    )
    state.signatures[signature.office] = signature
    before = state.stage
    if not state.pending_offices:
        state.stage = leads_to(before, Action.SIGN, Stage.FOLLOW_UP)
        # Signed after the last quarter locked: nothing is left to report or verify.
        _complete_if_done(state)
    return _event(state, Action.SIGN, req.actor, before, now, signature=signature)


def check_decline(state: CommitmentState, req: Decline) -> None:
    """Refuse a decline from an office not asked to sign or already signed."""
    _check(state, Action.DECLINE, req.actor)
    if req.actor.office not in state.pending_offices:
        raise refused(R.NO_SIGNATURE_PENDING, office=str(req.actor.office))


def apply_decline(state: CommitmentState, req: Decline, now: datetime) -> Event:
    """Send the commitment back to review with the signatory's reason."""
    before, state.stage = state.stage, leads_to(state.stage, Action.DECLINE)
    state.deadlines[DeadlineKey.REVIEW] = state.spec.schedule.review_due(now, state.spec.calendar)
    return _event(state, Action.DECLINE, req.actor, before, now, reason=req.reason)


def check_submit_report(state: CommitmentState, req: SubmitReport, now: datetime) -> None:
    """Refuse a report for a locked quarter, one already in, or for items that do not exist."""
    _check(state, Action.SUBMIT_REPORT, req.actor)
    q = req.report.quarter
    if q in state.locked or now > state.deadlines[lock_key(q)]:
        raise refused(R.QUARTER_LOCKED, quarter=q)
    opens = state.spec.schedule.quarters[q - 1].opens
    if opens is not None and now < opens:
        raise refused(R.REPORT_NOT_OPEN, quarter=q, opens=f"{opens:%Y-%m-%d}")
    record = state.reports.get(q)
    if record is not None and record.state != ReportState.RETURNED:
        raise refused(R.REPORT_ALREADY, quarter=q, state=record.state.value)
    positions = [i.item_position for i in req.report.items]
    if len(set(positions)) != len(positions):
        raise refused(R.ITEM_REPORTED_TWICE)
    beyond = [p for p in positions if p > state.approved_item_count]
    if beyond:
        raise refused(R.NO_SUCH_ITEM_REPORTED, item=beyond[0], count=state.approved_item_count)


def apply_submit_report(state: CommitmentState, req: SubmitReport, now: datetime) -> Event:
    """Record the report; its timeliness is fixed by the first submission."""
    q = req.report.quarter
    previous = state.reports.get(q)
    on_time = (
        previous.timeliness
        if previous
        else timeliness(now, state.deadlines[report_key(q)], state.deadlines[lock_key(q)])
    )
    first_at = previous.submitted_at if previous else now
    record = ReportRecord(state=ReportState.SUBMITTED, timeliness=on_time, submitted_at=first_at)
    state.reports[q] = record
    return _event(
        state,
        Action.SUBMIT_REPORT,
        req.actor,
        state.stage,
        now,
        report=req.report,
        quarter=q,
        report_state=record.state,
        report_timeliness=record.timeliness,
    )


def _check_submitted(state: CommitmentState, quarter: int) -> ReportRecord:
    record = state.reports.get(quarter)
    if record is None or record.state != ReportState.SUBMITTED:
        raise refused(R.NO_REPORT_WAITING, quarter=quarter)
    return record


def check_verify_report(state: CommitmentState, req: VerifyReport) -> None:
    """Refuse verifying a report that is not waiting for it."""
    _check(state, Action.VERIFY_REPORT, req.actor)
    _check_submitted(state, req.quarter)


def apply_verify_report(state: CommitmentState, req: VerifyReport, now: datetime) -> Event:
    """Mark the report verified; the last verification after the last lock completes."""
    record = state.reports[req.quarter]
    record.state = ReportState.VERIFIED
    before = state.stage
    _complete_if_done(state)
    return _event(
        state,
        Action.VERIFY_REPORT,
        req.actor,
        before,
        now,
        quarter=req.quarter,
        report_state=record.state,
        report_timeliness=record.timeliness,
    )


def check_return_report(state: CommitmentState, req: ReturnReport) -> None:
    """Refuse returning a report that cannot be corrected any more."""
    _check(state, Action.RETURN_REPORT, req.actor)
    _check_submitted(state, req.quarter)
    if req.quarter in state.locked:
        raise refused(R.VERIFY_INSTEAD, quarter=req.quarter)


def apply_return_report(state: CommitmentState, req: ReturnReport, now: datetime) -> Event:
    """Send the report back for correction before the lock."""
    record = state.reports[req.quarter]
    record.state = ReportState.RETURNED
    return _event(
        state,
        Action.RETURN_REPORT,
        req.actor,
        state.stage,
        now,
        quarter=req.quarter,
        reason=req.reason,
        report_state=record.state,
        report_timeliness=record.timeliness,
    )


# Drafting and signing deadlines matter only until their stage is behind the commitment.
_EXTENDABLE_IN = {
    DeadlineKey.DRAFTING: {Stage.DRAFTING},
    DeadlineKey.SIGNING: {Stage.DRAFTING, Stage.REVIEW, Stage.SIGNING},
}


# One extension buys weeks or months; beyond a year a date is a typo, and one near the end
# of the calendar would overflow the reminder arithmetic and stall the workflow.
MAX_EXTENSION = timedelta(days=366)


def check_extend(state: CommitmentState, req: ExtendDeadline) -> None:
    """Refuse extending a deadline that does not apply, has closed, or would move earlier."""
    _check(state, Action.EXTEND_DEADLINE, req.actor)
    current = state.deadlines.get(req.key)
    if current is None:
        raise refused(R.DEADLINE_NOT_APPLICABLE, key=req.key.value)
    q = req.key.quarter
    if q is not None and q in state.locked:
        raise refused(R.DEADLINE_LOCKED, quarter=q)
    if state.stage not in _EXTENDABLE_IN.get(req.key, set(Stage)):
        raise refused(R.DEADLINE_MET, key=req.key.value, stage=state.stage.value)
    if end_of_day(req.until) <= current:
        raise refused(R.EXTENSION_NOT_LATER, current=current.date().isoformat())
    if end_of_day(req.until) > current + MAX_EXTENSION:
        latest = wita_date(current + MAX_EXTENSION).isoformat()
        raise refused(R.EXTENSION_TOO_FAR, days=MAX_EXTENSION.days, latest=latest)


def apply_extend(state: CommitmentState, req: ExtendDeadline, now: datetime) -> Event:
    """Move the deadline; a report due past its lock carries the lock with it."""
    new_due = end_of_day(req.until)
    state.deadlines[req.key] = new_due
    q = req.key.quarter
    if q is not None and not req.key.is_lock and state.deadlines[lock_key(q)] < new_due:
        state.deadlines[lock_key(q)] = new_due
    return _event(
        state,
        Action.EXTEND_DEADLINE,
        req.actor,
        state.stage,
        now,
        reason=f"{req.key.value}: {req.reason}",
    )


def check_withdraw(state: CommitmentState, req: Withdraw) -> None:
    """Refuse withdrawing a commitment that has already ended."""
    _check(state, Action.WITHDRAW, req.actor)


def apply_withdraw(state: CommitmentState, req: Withdraw, now: datetime) -> Event:
    """End the commitment as withdrawn."""
    before, state.stage = state.stage, leads_to(state.stage, Action.WITHDRAW)
    return _event(state, Action.WITHDRAW, req.actor, before, now, reason=req.reason)


def apply_cancel(state: CommitmentState, req: Cancel, now: datetime) -> Event | None:
    """End the commitment because its cycle was cancelled; nothing if it already ended."""
    if state.stage.is_terminal:
        return None
    before, state.stage = state.stage, Stage.CANCELLED
    return _event(state, "cancel", req.actor, before, now, reason=req.reason)
