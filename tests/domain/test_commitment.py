"""Lifecycle rules of one commitment, through check_*/apply_* and `advance`, with `now` fixed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel

from domain.calendar import WITA, end_of_day, load_calendar
from domain.commitment import (
    Approve,
    Audience,
    Cancel,
    CommitmentSpec,
    CommitmentState,
    DeadlineKey,
    Decline,
    Event,
    ExtendDeadline,
    ReminderIntent,
    ReminderKind,
    RequestChanges,
    ReturnReport,
    ReviewComment,
    SaveDraft,
    Sign,
    Submit,
    SubmitReport,
    Tick,
    VerifyReport,
    Withdraw,
    advance,
    apply_approve,
    apply_cancel,
    apply_decline,
    apply_extend,
    apply_request_changes,
    apply_return_report,
    apply_save_draft,
    apply_sign,
    apply_submit,
    apply_submit_report,
    apply_verify_report,
    apply_withdraw,
    check_approve,
    check_decline,
    check_extend,
    check_request_changes,
    check_return_report,
    check_save_draft,
    check_sign,
    check_submit,
    check_submit_report,
    check_verify_report,
    check_withdraw,
    next_due,
    next_wakeup,
    open_obligations,
    overdue_since,
    started_event,
)
from domain.errors import TransitionRefused
from domain.plan import ActionItem, ActionPlan
from domain.reports import ItemProgress, ProgressStatus, QuarterlyReport, ReportState, Timeliness
from domain.roles import Acting, Actor, Role
from domain.schedule import default_schedule, resolve_schedule
from domain.stages import Stage

CALENDAR = load_calendar([2025, 2026, 2027])
SCHEDULE = resolve_schedule(default_schedule(2026), 2026, CALENDAR)
SIGNATORIES = ("bpbd_head", "planning_head", "regional_head")
SPEC = CommitmentSpec(
    cycle_id="rakor-ntt-2026",
    cycle_name="Rakor PB NTT 2026",
    regency_code="53.01",
    regency_name="Kabupaten Kupang",
    signatories=SIGNATORIES,
    schedule=SCHEDULE,
    calendar=CALENDAR,
)
ORDERED_SPEC = SPEC.model_copy(update={"ordered_signing": True})


def wita(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=WITA)


def due(y: int, m: int, d: int) -> datetime:
    return end_of_day(date(y, m, d))


STARTED = wita(2026, 1, 1, 9)
DRAFTING_DUE = due(2026, 1, 15)

OFFICER = Actor(name="Maria Officer", role=Role.REGENCY_OFFICER, regency_code="53.01")
OTHER_OFFICER = Actor(name="Paulus Officer", role=Role.REGENCY_OFFICER, regency_code="53.02")
REVIEWER = Actor(name="Rina Reviewer", role=Role.REVIEWER)
COORDINATOR = Actor(name="Yosef Coordinator", role=Role.COORDINATOR)


def signatory(
    office: str, acting: Acting = Acting.DEFINITIVE, regency_code: str = "53.01"
) -> Actor:
    return Actor(
        name=f"Holder of {office}",
        role=Role.SIGNATORY,
        regency_code=regency_code,
        office=office,
        acting=acting,
    )


def make_item(activity: str) -> ActionItem:
    return ActionItem.model_validate(
        {
            "strategic_issue": "destana",
            "phase": "pra_bencana",
            "activity": activity,
            "indicator": "Jumlah desa tangguh bencana",
            "target_value": "5",
            "target_unit": "desa",
            "due_quarters": [2, 4],
            "responsible_unit": "BPBD Kabupaten Kupang",
            "location": "Kecamatan Amarasi",
        }
    )


PLAN = ActionPlan(items=(make_item("Pembentukan Destana"), make_item("Kajian risiko")))
PLAN_B = ActionPlan(items=(make_item("Pembentukan Destana baru"), make_item("Kajian risiko")))


# --- taking actions the way the workflow does ----------------------------------------

Req = TypeVar("Req", bound=BaseModel)


def act(
    state: CommitmentState,
    check: Callable[[CommitmentState, Req], None],
    apply: Callable[[CommitmentState, Req, datetime], Event],
    req: Req,
    now: datetime,
) -> Event:
    """Apply timed events up to `now`, then check and apply the action, as the workflow does."""
    advance(state, now)
    check(state, req)
    return apply(state, req, now)


def refused(attempt: Callable[[], object], *fragments: str) -> str:
    """Assert that `attempt` raises TransitionRefused whose reason holds every fragment."""
    with pytest.raises(TransitionRefused) as info:
        attempt()
    for fragment in fragments:
        assert fragment in info.value.reason
    return info.value.reason


def save(state: CommitmentState, now: datetime, plan: ActionPlan = PLAN) -> Event:
    req = SaveDraft(actor=OFFICER, plan=plan, based_on_version=state.version)
    return act(state, check_save_draft, apply_save_draft, req, now)


def submit(state: CommitmentState, now: datetime) -> Event:
    return act(state, check_submit, apply_submit, Submit(actor=OFFICER, version=state.version), now)


def approve(state: CommitmentState, now: datetime) -> Event:
    assert state.submitted_version is not None
    req = Approve(actor=REVIEWER, version=state.submitted_version)
    return act(state, check_approve, apply_approve, req, now)


def request_changes(state: CommitmentState, now: datetime) -> Event:
    assert state.submitted_version is not None
    req = RequestChanges(
        actor=REVIEWER,
        version=state.submitted_version,
        comments=(ReviewComment(text="Lengkapi indikator"),),
    )
    return act(state, check_request_changes, apply_request_changes, req, now)


def sign(
    state: CommitmentState, office: str, now: datetime, acting: Acting = Acting.DEFINITIVE
) -> Event:
    assert state.approved_hash is not None
    req = Sign(actor=signatory(office, acting), document_hash=state.approved_hash)
    return act(state, check_sign, apply_sign, req, now)


def decline(state: CommitmentState, office: str, now: datetime) -> Event:
    req = Decline(actor=signatory(office), reason="Anggaran belum sesuai")
    return act(state, check_decline, apply_decline, req, now)


def quarterly(quarter: int, positions: tuple[int, ...] = (1, 2)) -> QuarterlyReport:
    return QuarterlyReport(
        quarter=quarter,
        items=tuple(
            ItemProgress(item_position=p, status=ProgressStatus.SESUAI_JADWAL, percent_realised=50)
            for p in positions
        ),
    )


def report(state: CommitmentState, quarter: int, now: datetime) -> Event:
    req = SubmitReport(actor=OFFICER, report=quarterly(quarter))
    return act(
        state,
        lambda s, r: check_submit_report(s, r, now),
        apply_submit_report,
        req,
        now,
    )


def verify(state: CommitmentState, quarter: int, now: datetime) -> Event:
    req = VerifyReport(actor=REVIEWER, quarter=quarter)
    return act(state, check_verify_report, apply_verify_report, req, now)


def return_report(state: CommitmentState, quarter: int, now: datetime) -> Event:
    req = ReturnReport(actor=REVIEWER, quarter=quarter, reason="Bukti dukung belum ada")
    return act(state, check_return_report, apply_return_report, req, now)


def extend(state: CommitmentState, key: DeadlineKey, until: date, now: datetime) -> Event:
    req = ExtendDeadline(actor=COORDINATOR, key=key, until=until, reason="Bencana banjir")
    return act(state, check_extend, apply_extend, req, now)


def withdraw(state: CommitmentState, now: datetime) -> Event:
    req = Withdraw(actor=COORDINATOR, reason="Tidak ikut siklus")
    return act(state, check_withdraw, apply_withdraw, req, now)


# --- states along the happy path -----------------------------------------------------


def fresh(spec: CommitmentSpec = SPEC) -> CommitmentState:
    return CommitmentState.start(spec, STARTED)


def drafted(spec: CommitmentSpec = SPEC) -> CommitmentState:
    state = fresh(spec)
    save(state, wita(2026, 1, 5))
    return state


def in_review(spec: CommitmentSpec = SPEC) -> CommitmentState:
    state = drafted(spec)
    submit(state, wita(2026, 1, 6))
    return state


def in_signing(spec: CommitmentSpec = SPEC) -> CommitmentState:
    state = in_review(spec)
    approve(state, wita(2026, 1, 8))
    return state


def in_follow_up() -> CommitmentState:
    state = in_signing()
    sign(state, "bpbd_head", wita(2026, 1, 9))
    sign(state, "planning_head", wita(2026, 1, 12))
    sign(state, "regional_head", wita(2026, 1, 13))
    assert state.stage == Stage.FOLLOW_UP
    return state


def fired(intents: list[ReminderIntent]) -> list[tuple[DeadlineKey, datetime, int, Audience]]:
    return [(i.deadline_key, i.fires_at, i.days, i.audience) for i in intents]


# --- start ---------------------------------------------------------------------------


def test_start_takes_the_cycle_deadlines() -> None:
    state = fresh()
    assert state.stage == Stage.DRAFTING
    assert (state.version, state.round, state.seq) == (0, 1, 0)
    assert state.deadlines == {
        DeadlineKey.DRAFTING: due(2026, 1, 15),
        DeadlineKey.SIGNING: due(2026, 2, 15),
        DeadlineKey.Q1: due(2026, 4, 20),
        DeadlineKey.Q1_LOCK: due(2026, 4, 30),
        DeadlineKey.Q2: due(2026, 7, 20),
        DeadlineKey.Q2_LOCK: due(2026, 7, 31),
        DeadlineKey.Q3: due(2026, 10, 20),
        DeadlineKey.Q3_LOCK: due(2026, 10, 31),
        DeadlineKey.Q4: due(2027, 1, 20),
        DeadlineKey.Q4_LOCK: due(2027, 1, 31),
    }
    assert next_wakeup(state) == wita(2026, 1, 8, 8)
    event = started_event(state)
    assert (event.seq, event.action, event.from_stage, event.to_stage) == (
        1,
        "started",
        Stage.DRAFTING,
        Stage.DRAFTING,
    )
    assert event.commitment_id == "rakor-ntt-2026:53.01"
    assert event.occurred_at == STARTED
    assert event.next_due_at == DRAFTING_DUE
    assert event.overdue_since is None


# --- drafting and submission ---------------------------------------------------------


def test_save_draft_numbers_versions_one_two_three() -> None:
    state = fresh()
    events = [save(state, wita(2026, 1, d)) for d in (5, 6, 7)]
    assert [e.version for e in events] == [1, 2, 3]
    assert [e.action for e in events] == ["save_draft"] * 3
    assert all(e.plan == PLAN and e.to_stage == Stage.DRAFTING for e in events)
    assert state.version == 3
    assert state.version_item_count == 2


def test_each_version_has_its_own_hash() -> None:
    state = fresh()
    save(state, wita(2026, 1, 5))
    first = state.version_hash
    save(state, wita(2026, 1, 6))
    assert first is not None and state.version_hash is not None
    assert state.version_hash != first  # the version number is part of the document


@pytest.mark.parametrize("based_on", [0, 1, 3])
def test_save_draft_over_a_newer_version_is_refused(based_on: int) -> None:
    state = fresh()
    save(state, wita(2026, 1, 5))
    save(state, wita(2026, 1, 6))
    req = SaveDraft(actor=OFFICER, plan=PLAN, based_on_version=based_on)
    refused(
        lambda: check_save_draft(state, req),
        "stale version",
        f"started from version {based_on}",
        "version 2 has been saved",
    )
    assert state.version == 2


def test_submit_of_a_non_latest_version_is_refused() -> None:
    state = fresh()
    save(state, wita(2026, 1, 5))
    save(state, wita(2026, 1, 6))
    reason = refused(lambda: check_submit(state, Submit(actor=OFFICER, version=1)))
    assert reason == "stale version: the latest saved draft is version 2, not 1"


def test_submit_with_no_version_is_refused() -> None:
    state = fresh()
    reason = refused(lambda: check_submit(state, Submit(actor=OFFICER, version=1)))
    assert reason == "nothing to submit: save a draft first"


@pytest.mark.parametrize(
    ("submitted_at", "review_due_at"),
    [
        # Friday: skips the weekend, Nyepi (18–19 Mar), Idul Fitri and its cuti bersama
        # (20–24 Mar): Mon 16, Tue 17, Wed 25, Thu 26, Fri 27.
        (wita(2026, 3, 13, 10), due(2026, 3, 27)),
        (wita(2026, 3, 13, 23, 30), due(2026, 3, 27)),
        # 01:00 WITA Friday is still Thursday in UTC: the WITA date counts.
        (datetime.fromisoformat("2026-03-12T17:00:00+00:00"), due(2026, 3, 27)),
        # Thursday: Fri 13, Mon 16, Tue 17, Wed 25, Thu 26.
        (wita(2026, 3, 12), due(2026, 3, 26)),
        # Monday: Tue 17, Wed 25, Thu 26, Fri 27, Mon 30.
        (wita(2026, 3, 16), due(2026, 3, 30)),
        # Tuesday 6 Jan: 7, 8, 9, 12, 13 January.
        (wita(2026, 1, 6), due(2026, 1, 13)),
        # Friday 9 Jan: 12, 13, 14, 15, then 16 Jan (Isra Mikraj) is skipped: 19 January.
        (wita(2026, 1, 9), due(2026, 1, 19)),
    ],
)
def test_submit_sets_review_deadline_five_working_days_later(
    submitted_at: datetime, review_due_at: datetime
) -> None:
    state = fresh()
    save(state, wita(2026, 1, 5))
    event = submit(state, submitted_at)
    assert state.stage == Stage.REVIEW
    assert state.submitted_version == 1
    assert state.deadlines[DeadlineKey.REVIEW] == review_due_at
    assert review_due_at.tzinfo is WITA and (review_due_at.hour, review_due_at.minute) == (23, 59)
    assert (event.from_stage, event.to_stage) == (Stage.DRAFTING, Stage.REVIEW)
    assert event.next_due_at == review_due_at
    assert event.deadlines[DeadlineKey.REVIEW] == review_due_at


# --- review ----------------------------------------------------------------------------


def test_approve_of_another_version_is_refused() -> None:
    state = in_review()
    reason = refused(lambda: check_approve(state, Approve(actor=REVIEWER, version=2)))
    assert reason == "stale version: the submitted draft is version 1, not 2"


def test_approve_moves_to_signing_with_the_document_hash() -> None:
    state = in_review()
    event = approve(state, wita(2026, 1, 8))
    assert state.stage == Stage.SIGNING
    assert state.approved_version == 1
    assert state.approved_hash == state.version_hash
    assert DeadlineKey.REVIEW not in state.deadlines
    assert (event.from_stage, event.to_stage) == (Stage.REVIEW, Stage.SIGNING)
    assert event.document_hash == state.approved_hash
    assert event.next_due_at == due(2026, 2, 15)


def test_request_changes_starts_a_new_round_in_drafting() -> None:
    state = in_review()
    comments = (
        ReviewComment(item_position=2, text="Target terlalu rendah"),
        ReviewComment(text="Lengkapi mitra pentahelix"),
    )
    req = RequestChanges(actor=REVIEWER, version=1, comments=comments)
    event = act(state, check_request_changes, apply_request_changes, req, wita(2026, 1, 7))
    assert state.stage == Stage.DRAFTING
    assert state.round == 2
    assert (event.round, event.reviewed_round) == (2, 1)
    assert event.comments == comments
    assert (event.from_stage, event.to_stage) == (Stage.REVIEW, Stage.DRAFTING)
    assert DeadlineKey.REVIEW not in state.deadlines

    save(state, wita(2026, 1, 8), PLAN_B)
    submit(state, wita(2026, 1, 8, 11))
    assert (state.version, state.submitted_version, state.round) == (2, 2, 2)
    request_changes(state, wita(2026, 1, 9))
    assert state.round == 3


def test_request_changes_on_another_version_is_refused() -> None:
    state = in_review()
    req = RequestChanges(actor=REVIEWER, version=2, comments=(ReviewComment(text="Perbaiki"),))
    refused(lambda: check_request_changes(state, req), "stale version", "version 1, not 2")


def test_comment_on_an_item_that_does_not_exist_is_refused() -> None:
    state = in_review()
    bad = RequestChanges(
        actor=REVIEWER, version=1, comments=(ReviewComment(item_position=3, text="?"),)
    )
    reason = refused(lambda: check_request_changes(state, bad))
    assert reason == "comment on item 3, but the draft has 2 items"
    good = RequestChanges(
        actor=REVIEWER, version=1, comments=(ReviewComment(item_position=2, text="Ok"),)
    )
    check_request_changes(state, good)


# --- signing -----------------------------------------------------------------------------


def test_office_not_required_may_not_sign() -> None:
    state = in_signing()
    assert state.approved_hash is not None
    req = Sign(actor=signatory("camat"), document_hash=state.approved_hash)
    reason = refused(lambda: check_sign(state, req))
    assert reason == (
        "office 'camat' is not a required signatory; "
        "required: bpbd_head, planning_head, regional_head"
    )


def test_an_office_signs_only_once() -> None:
    state = in_signing()
    sign(state, "bpbd_head", wita(2026, 1, 9))
    assert state.approved_hash is not None
    again = Sign(actor=signatory("bpbd_head"), document_hash=state.approved_hash)
    reason = refused(lambda: check_sign(state, again))
    assert reason == "office 'bpbd_head' has already signed"


def test_ordered_signing_refuses_out_of_order() -> None:
    state = in_signing(ORDERED_SPEC)
    assert state.approved_hash is not None
    early = Sign(actor=signatory("planning_head"), document_hash=state.approved_hash)
    reason = refused(lambda: check_sign(state, early))
    assert reason == "signing order: 'bpbd_head' signs first"
    sign(state, "bpbd_head", wita(2026, 1, 9))
    reason = refused(
        lambda: check_sign(
            state, Sign(actor=signatory("regional_head"), document_hash=state.approved_hash or "")
        )
    )
    assert reason == "signing order: 'planning_head' signs first"
    sign(state, "planning_head", wita(2026, 1, 12))
    sign(state, "regional_head", wita(2026, 1, 13))
    assert state.stage == Stage.FOLLOW_UP


def test_unordered_signing_accepts_any_order() -> None:
    state = in_signing()
    sign(state, "regional_head", wita(2026, 1, 9))
    sign(state, "bpbd_head", wita(2026, 1, 12))
    assert state.pending_offices == ("planning_head",)


def test_signature_on_another_document_is_refused() -> None:
    state = in_signing()
    req = Sign(actor=signatory("bpbd_head"), document_hash="0" * 64)
    refused(lambda: check_sign(state, req), "stale document", "approved version 1")
    assert state.signatures == {}


def test_acting_official_is_recorded_in_the_signature() -> None:
    state = in_signing()
    assert state.approved_hash is not None
    plt = Actor(
        name="Drs. Plt. Kepala",
        role=Role.SIGNATORY,
        regency_code="53.01",
        office="bpbd_head",
        acting=Acting.PLT,
        nip="197001012000031001",
    )
    now = wita(2026, 1, 9)
    event = act(
        state,
        check_sign,
        apply_sign,
        Sign(actor=plt, document_hash=state.approved_hash),
        now,
    )
    signature = state.signatures["bpbd_head"]
    assert signature.acting == Acting.PLT
    assert signature.signer_name == "Drs. Plt. Kepala"
    assert signature.nip == "197001012000031001"
    assert signature.version == 1
    assert signature.document_hash == state.approved_hash
    assert signature.signed_at == now
    assert event.signature == signature


def test_last_signature_moves_to_follow_up() -> None:
    state = in_signing()
    first = sign(state, "bpbd_head", wita(2026, 1, 9))
    second = sign(state, "planning_head", wita(2026, 1, 12))
    last = sign(state, "regional_head", wita(2026, 1, 13))
    assert [(e.from_stage, e.to_stage) for e in (first, second, last)] == [
        (Stage.SIGNING, Stage.SIGNING),
        (Stage.SIGNING, Stage.SIGNING),
        (Stage.SIGNING, Stage.FOLLOW_UP),
    ]
    assert state.stage == Stage.FOLLOW_UP
    assert state.pending_offices == ()
    assert last.next_due_at == due(2026, 4, 20)


def test_decline_sends_back_to_review_with_a_new_review_deadline() -> None:
    state = in_signing()
    sign(state, "bpbd_head", wita(2026, 1, 9))
    event = decline(state, "planning_head", wita(2026, 1, 12))
    assert state.stage == Stage.REVIEW
    assert (event.from_stage, event.to_stage) == (Stage.SIGNING, Stage.REVIEW)
    assert event.reason == "Anggaran belum sesuai"
    # Mon 12 Jan: 13, 14, 15, (16 Isra Mikraj), 19, 20 January.
    assert state.deadlines[DeadlineKey.REVIEW] == due(2026, 1, 20)


def test_decline_by_an_office_that_signed_is_refused() -> None:
    state = in_signing()
    sign(state, "bpbd_head", wita(2026, 1, 9))
    req = Decline(actor=signatory("bpbd_head"), reason="Berubah pikiran")
    reason = refused(lambda: check_decline(state, req))
    assert reason == "office 'bpbd_head' has no signature pending"


def test_reapproving_the_same_version_keeps_signatures() -> None:
    state = in_signing()
    sign(state, "bpbd_head", wita(2026, 1, 9))
    approved_hash = state.approved_hash
    decline(state, "planning_head", wita(2026, 1, 12))
    approve(state, wita(2026, 1, 13))
    assert state.stage == Stage.SIGNING
    assert state.approved_hash == approved_hash
    assert set(state.signatures) == {"bpbd_head"}
    assert state.pending_offices == ("planning_head", "regional_head")
    assert DeadlineKey.REVIEW not in state.deadlines


def test_approving_a_new_version_clears_signatures() -> None:
    state = in_signing()
    sign(state, "bpbd_head", wita(2026, 1, 9))
    old_hash = state.approved_hash
    decline(state, "planning_head", wita(2026, 1, 12))
    request_changes(state, wita(2026, 1, 13))
    save(state, wita(2026, 1, 13, 11), PLAN_B)
    submit(state, wita(2026, 1, 13, 12))
    approve(state, wita(2026, 1, 14))
    assert state.stage == Stage.SIGNING
    assert state.approved_version == 2
    assert state.approved_hash == state.version_hash != old_hash
    assert state.signatures == {}
    assert state.pending_offices == SIGNATORIES
    # The old signature's hash no longer opens the door.
    assert old_hash is not None
    stale = Sign(actor=signatory("bpbd_head"), document_hash=old_hash)
    refused(lambda: check_sign(state, stale), "stale document", "approved version 2")


def test_signing_reminders_name_the_pending_offices() -> None:
    state = in_signing()
    sign(state, "bpbd_head", wita(2026, 1, 9))
    tick = advance(state, wita(2026, 2, 17))
    assert [(i.fires_at, i.audience, i.offices) for i in tick.reminders] == [
        (wita(2026, 2, 8, 8), Audience.SIGNATORY, ("planning_head", "regional_head")),
        (wita(2026, 2, 12, 8), Audience.SIGNATORY, ("planning_head", "regional_head")),
        (wita(2026, 2, 14, 8), Audience.SIGNATORY, ("planning_head", "regional_head")),
    ]
    assert [(i.fires_at, i.audience, i.offices) for i in tick.escalations] == [
        (wita(2026, 2, 16, 8), Audience.REGENCY_HEAD, ()),
    ]
    assert overdue_since(state, wita(2026, 2, 17)) == due(2026, 2, 15)


# --- quarterly reports -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("submitted_at", "expected"),
    [
        (wita(2026, 4, 10), Timeliness.ON_TIME),
        (due(2026, 4, 20), Timeliness.ON_TIME),
        (wita(2026, 4, 21, 0, 0), Timeliness.LATE),
        (wita(2026, 4, 30, 23, 58), Timeliness.LATE),
    ],
)
def test_report_timeliness(submitted_at: datetime, expected: Timeliness) -> None:
    state = in_follow_up()
    event = report(state, 1, submitted_at)
    assert event.report_timeliness == expected
    assert event.report_state == ReportState.SUBMITTED
    assert event.quarter == 1
    assert state.reports[1].timeliness == expected
    assert state.reports[1].submitted_at == submitted_at
    assert 1 not in state.locked


def test_report_after_the_lock_is_refused() -> None:
    state = in_follow_up()
    req = SubmitReport(actor=OFFICER, report=quarterly(1))
    after_lock = wita(2026, 5, 1, 0, 0)
    # Even before the lock has been applied, the time alone refuses it ...
    refused(lambda: check_submit_report(state, req, after_lock), "quarter 1 is locked")
    # ... and the quarter locks at the lock instant itself, refusing a report made then.
    lock = due(2026, 4, 30)
    advance(state, lock)
    assert state.locked == {1}
    assert state.reports[1].state == ReportState.MISSING
    refused(lambda: check_submit_report(state, req, lock), "quarter 1 is locked")


def test_report_already_submitted_is_refused() -> None:
    state = in_follow_up()
    report(state, 1, wita(2026, 4, 10))
    req = SubmitReport(actor=OFFICER, report=quarterly(1))
    reason = refused(lambda: check_submit_report(state, req, wita(2026, 4, 11)))
    assert reason == "the quarter 1 report is already submitted"


def test_returned_report_resubmitted_keeps_its_first_timeliness() -> None:
    state = in_follow_up()
    report(state, 1, wita(2026, 4, 10))
    returned = return_report(state, 1, wita(2026, 4, 15))
    assert returned.report_state == ReportState.RETURNED
    assert returned.reason == "Bukti dukung belum ada"
    assert (state.reports[1].state, state.reports[1].timeliness) == (
        ReportState.RETURNED,
        Timeliness.ON_TIME,
    )
    # A returned report is owed again.
    assert [o.key for o in open_obligations(state)] == [
        DeadlineKey.Q1,
        DeadlineKey.Q2,
        DeadlineKey.Q3,
        DeadlineKey.Q4,
    ]
    again = report(state, 1, wita(2026, 4, 25))  # after the due date
    assert again.report_timeliness == Timeliness.ON_TIME
    assert state.reports[1].state == ReportState.SUBMITTED
    assert state.reports[1].submitted_at == wita(2026, 4, 10)


def test_verify_report() -> None:
    state = in_follow_up()
    report(state, 1, wita(2026, 4, 10))
    event = verify(state, 1, wita(2026, 4, 12))
    assert event.report_state == ReportState.VERIFIED
    assert event.report_timeliness == Timeliness.ON_TIME
    assert state.reports[1].state == ReportState.VERIFIED
    assert state.stage == Stage.FOLLOW_UP
    req = VerifyReport(actor=REVIEWER, quarter=1)
    reason = refused(lambda: check_verify_report(state, req))
    assert reason == "no quarter 1 report is waiting for verification"
    refused(
        lambda: check_verify_report(state, VerifyReport(actor=REVIEWER, quarter=2)),
        "no quarter 2 report",
    )


def test_return_after_the_lock_is_refused() -> None:
    state = in_follow_up()
    report(state, 1, wita(2026, 4, 25))
    tick = advance(state, wita(2026, 5, 1))
    [locked] = [e for e in tick.events if e.action == "quarter_locked"]
    assert (locked.quarter, locked.report_state, locked.report_timeliness) == (
        1,
        ReportState.SUBMITTED,
        Timeliness.LATE,
    )
    req = ReturnReport(actor=REVIEWER, quarter=1, reason="Terlambat")
    reason = refused(lambda: check_return_report(state, req))
    assert reason == "quarter 1 is locked; verify the report instead"
    verify(state, 1, wita(2026, 5, 2))
    assert state.reports[1].state == ReportState.VERIFIED


def test_report_on_an_item_beyond_the_plan_is_refused() -> None:
    state = in_follow_up()
    req = SubmitReport(actor=OFFICER, report=quarterly(1, positions=(1, 3)))
    reason = refused(lambda: check_submit_report(state, req, wita(2026, 4, 10)))
    assert reason == "item 3 does not exist; the approved plan has 2 items"
    twice = SubmitReport(actor=OFFICER, report=quarterly(1, positions=(2, 2)))
    refused(lambda: check_submit_report(state, twice, wita(2026, 4, 10)), "reported twice")


def test_quarter_locks_with_a_missing_report() -> None:
    state = in_follow_up()
    tick = advance(state, wita(2026, 5, 1, 0, 0))
    assert [(e.action, e.occurred_at, e.reason, e.quarter) for e in tick.events] == [
        ("deadline_passed", due(2026, 4, 20), "q1", None),
        ("quarter_locked", due(2026, 4, 30), None, 1),
    ]
    locked = tick.events[1]
    assert (locked.report_state, locked.report_timeliness) == (
        ReportState.MISSING,
        Timeliness.MISSING,
    )
    assert state.locked == {1}
    assert state.reports[1].state == ReportState.MISSING
    assert state.stage == Stage.FOLLOW_UP
    assert fired(tick.reminders) == [
        (DeadlineKey.Q1, wita(2026, 4, 13, 8), 7, Audience.REGENCY_OFFICER),
        (DeadlineKey.Q1, wita(2026, 4, 17, 8), 3, Audience.REGENCY_OFFICER),
        (DeadlineKey.Q1, wita(2026, 4, 19, 8), 1, Audience.REGENCY_OFFICER),
    ]
    assert fired(tick.escalations) == [
        (DeadlineKey.Q1, wita(2026, 4, 21, 8), -1, Audience.REGENCY_HEAD),
        (DeadlineKey.Q1, wita(2026, 4, 27, 8), -7, Audience.MANAGER),
    ]
    # Quarter 1 no longer owes anything; quarter 2 is next.
    assert next_due(state) == due(2026, 7, 20)
    assert overdue_since(state, wita(2026, 5, 1)) is None


# --- timed events ----------------------------------------------------------------------

DRAFTING_REMINDERS = [
    (DeadlineKey.DRAFTING, wita(2026, 1, 8, 8), 7, Audience.REGENCY_OFFICER),
    (DeadlineKey.DRAFTING, wita(2026, 1, 12, 8), 3, Audience.REGENCY_OFFICER),
    (DeadlineKey.DRAFTING, wita(2026, 1, 14, 8), 1, Audience.REGENCY_OFFICER),
]
DRAFTING_ESCALATIONS = [
    (DeadlineKey.DRAFTING, wita(2026, 1, 16, 8), -1, Audience.REGENCY_HEAD),
    (DeadlineKey.DRAFTING, wita(2026, 1, 22, 8), -7, Audience.MANAGER),
]


def test_drafting_reminders_fire_once_each_step_by_step() -> None:
    state = fresh()
    hourly = {STARTED + timedelta(hours=h) for h in range(1, 24 * 23)}
    # Land exactly on every firing instant and just after it as well.
    exact = {t for _, t, _, _ in DRAFTING_REMINDERS + DRAFTING_ESCALATIONS} | {DRAFTING_DUE}
    steps = sorted(hourly | exact | {t + timedelta(seconds=1) for t in exact})
    total = Tick()
    for now in steps:
        tick = advance(state, now)
        advance(state, now)  # the same instant again adds nothing
        total.reminders += tick.reminders
        total.escalations += tick.escalations
        total.events += tick.events
    assert state.clock == steps[-1] == wita(2026, 1, 24, 8)
    assert fired(total.reminders) == DRAFTING_REMINDERS
    assert fired(total.escalations) == DRAFTING_ESCALATIONS
    assert all(i.kind == ReminderKind.REMINDER for i in total.reminders)
    assert all(i.kind == ReminderKind.ESCALATION for i in total.escalations)
    assert all(i.due_at == DRAFTING_DUE for i in total.reminders + total.escalations)
    assert [(e.action, e.occurred_at, e.reason) for e in total.events] == [
        ("deadline_passed", DRAFTING_DUE, "drafting")
    ]


def test_drafting_reminders_over_one_big_jump() -> None:
    state = fresh()
    tick = advance(state, wita(2026, 1, 24, 8))
    assert fired(tick.reminders) == DRAFTING_REMINDERS
    assert fired(tick.escalations) == DRAFTING_ESCALATIONS
    [passed] = tick.events
    assert (passed.action, passed.occurred_at, passed.reason) == (
        "deadline_passed",
        DRAFTING_DUE,
        "drafting",
    )
    assert passed.actor.name == "Komitmen"
    assert (passed.from_stage, passed.to_stage) == (Stage.DRAFTING, Stage.DRAFTING)
    assert passed.overdue_since == DRAFTING_DUE
    assert passed.seq == 1
    assert overdue_since(state, wita(2026, 1, 24, 8)) == DRAFTING_DUE
    # Nothing is left to fire for drafting: the next wake-up is the first quarter lock.
    assert advance(state, wita(2026, 3, 1)) == Tick()
    assert next_wakeup(state) == due(2026, 4, 30)


def test_reminder_intent_describes_the_commitment() -> None:
    state = fresh()
    [intent] = advance(state, wita(2026, 1, 8, 8)).reminders
    assert intent == ReminderIntent(
        commitment_id="rakor-ntt-2026:53.01",
        cycle_id="rakor-ntt-2026",
        cycle_name="Rakor PB NTT 2026",
        regency_code="53.01",
        regency_name="Kabupaten Kupang",
        deadline_key=DeadlineKey.DRAFTING,
        due_at=DRAFTING_DUE,
        days=7,
        kind=ReminderKind.REMINDER,
        audience=Audience.REGENCY_OFFICER,
        fires_at=wita(2026, 1, 8, 8),
    )
    assert next_wakeup(state) == wita(2026, 1, 12, 8)


def test_overdue_since_before_and_after_the_deadline() -> None:
    state = fresh()
    assert overdue_since(state, wita(2026, 1, 15, 23, 58)) is None
    assert overdue_since(state, DRAFTING_DUE) == DRAFTING_DUE  # overdue from the instant
    assert overdue_since(state, wita(2026, 1, 16, 0, 0)) == DRAFTING_DUE
    assert next_due(state) == DRAFTING_DUE


def test_extension_moves_the_reminders() -> None:
    state = fresh()
    before = advance(state, wita(2026, 1, 13, 9))
    assert fired(before.reminders) == DRAFTING_REMINDERS[:2]
    event = extend(state, DeadlineKey.DRAFTING, date(2026, 1, 22), wita(2026, 1, 13, 9))
    assert event.reason == "drafting: Bencana banjir"
    assert event.deadlines[DeadlineKey.DRAFTING] == due(2026, 1, 22)
    assert event.next_due_at == due(2026, 1, 22)
    # The old D-1 (14 Jan 08:00), the old deadline and the old D+1 pass silently.
    assert advance(state, wita(2026, 1, 14, 12)) == Tick()
    tick = advance(state, wita(2026, 1, 16, 12))
    assert fired(tick.reminders) == [
        (DeadlineKey.DRAFTING, wita(2026, 1, 15, 8), 7, Audience.REGENCY_OFFICER)
    ]
    assert (tick.escalations, tick.events) == ([], [])
    tick = advance(state, wita(2026, 1, 21, 9))
    assert fired(tick.reminders) == [
        (DeadlineKey.DRAFTING, wita(2026, 1, 19, 8), 3, Audience.REGENCY_OFFICER),
        (DeadlineKey.DRAFTING, wita(2026, 1, 21, 8), 1, Audience.REGENCY_OFFICER),
    ]
    assert overdue_since(state, wita(2026, 1, 21, 9)) is None
    tick = advance(state, wita(2026, 1, 23, 9))
    assert [(e.action, e.occurred_at) for e in tick.events] == [
        ("deadline_passed", due(2026, 1, 22))
    ]
    assert fired(tick.escalations) == [
        (DeadlineKey.DRAFTING, wita(2026, 1, 23, 8), -1, Audience.REGENCY_HEAD)
    ]


def test_extending_a_report_past_its_lock_carries_the_lock() -> None:
    state = in_follow_up()
    extend(state, DeadlineKey.Q1, date(2026, 5, 10), wita(2026, 4, 18))
    assert state.deadlines[DeadlineKey.Q1] == due(2026, 5, 10)
    assert state.deadlines[DeadlineKey.Q1_LOCK] == due(2026, 5, 10)
    event = report(state, 1, wita(2026, 5, 5))
    assert event.report_timeliness == Timeliness.ON_TIME


@pytest.mark.parametrize(
    ("key", "until", "reason"),
    [
        (DeadlineKey.REVIEW, date(2026, 1, 30), "deadline 'review' does not apply now"),
        (
            DeadlineKey.DRAFTING,
            date(2026, 1, 15),
            "an extension must be later than the current deadline 2026-01-15",
        ),
        (
            DeadlineKey.DRAFTING,
            date(2026, 1, 10),
            "an extension must be later than the current deadline 2026-01-15",
        ),
    ],
)
def test_extension_refusals(key: DeadlineKey, until: date, reason: str) -> None:
    state = fresh()
    req = ExtendDeadline(actor=COORDINATOR, key=key, until=until, reason="Banjir")
    assert refused(lambda: check_extend(state, req)) == reason


def test_extension_of_a_locked_quarter_is_refused() -> None:
    state = in_follow_up()
    advance(state, wita(2026, 5, 1))
    req = ExtendDeadline(actor=COORDINATOR, key=DeadlineKey.Q1, until=date(2026, 6, 1), reason="x")
    reason = refused(lambda: check_extend(state, req))
    assert reason == "quarter 1 is locked; its deadlines can no longer move"


@pytest.mark.parametrize("key", [DeadlineKey.DRAFTING, DeadlineKey.SIGNING])
def test_extending_a_deadline_already_met_is_refused(key: DeadlineKey) -> None:
    state = in_follow_up()
    req = ExtendDeadline(actor=COORDINATOR, key=key, until=date(2026, 6, 1), reason="x")
    reason = refused(lambda: check_extend(state, req))
    assert reason == f"deadline '{key.value}' has been met; the commitment is in stage 'follow_up'"


def test_review_overdue_escalates_to_managers_at_both_steps() -> None:
    state = fresh()
    save(state, wita(2026, 3, 13, 9))
    submit(state, wita(2026, 3, 13, 10))
    review_due_at = due(2026, 3, 27)
    assert state.deadlines[DeadlineKey.REVIEW] == review_due_at
    tick = advance(state, wita(2026, 4, 5))
    assert fired(tick.reminders) == [
        (DeadlineKey.REVIEW, wita(2026, 3, 20, 8), 7, Audience.REVIEWER),
        (DeadlineKey.REVIEW, wita(2026, 3, 24, 8), 3, Audience.REVIEWER),
        (DeadlineKey.REVIEW, wita(2026, 3, 26, 8), 1, Audience.REVIEWER),
    ]
    assert fired(tick.escalations) == [
        (DeadlineKey.REVIEW, wita(2026, 3, 28, 8), -1, Audience.MANAGER),
        (DeadlineKey.REVIEW, wita(2026, 4, 3, 8), -7, Audience.MANAGER),
    ]
    [passed] = tick.events
    assert (passed.action, passed.occurred_at, passed.reason) == (
        "deadline_passed",
        review_due_at,
        "review",
    )
    assert passed.overdue_since == review_due_at
    assert overdue_since(state, wita(2026, 4, 5)) == review_due_at


# --- completion ------------------------------------------------------------------------


def test_completes_at_the_last_lock_when_every_report_is_settled() -> None:
    state = in_follow_up()
    report(state, 1, wita(2026, 4, 10))
    verify(state, 1, wita(2026, 4, 14))
    # Quarter 2: no report at all.
    report(state, 3, wita(2026, 10, 25))
    verify(state, 3, wita(2026, 10, 26))
    report(state, 4, wita(2027, 1, 5))
    verify(state, 4, wita(2027, 1, 6))
    assert (state.stage, state.locked) == (Stage.FOLLOW_UP, {1, 2, 3})
    tick = advance(state, wita(2027, 2, 1))
    [last] = tick.events
    assert (last.action, last.quarter, last.occurred_at) == ("quarter_locked", 4, due(2027, 1, 31))
    assert (last.from_stage, last.to_stage) == (Stage.FOLLOW_UP, Stage.COMPLETED)
    assert state.stage == Stage.COMPLETED
    assert {q: (r.state, r.timeliness) for q, r in state.reports.items()} == {
        1: (ReportState.VERIFIED, Timeliness.ON_TIME),
        2: (ReportState.MISSING, Timeliness.MISSING),
        3: (ReportState.VERIFIED, Timeliness.LATE),
        4: (ReportState.VERIFIED, Timeliness.ON_TIME),
    }
    assert next_wakeup(state) is None
    assert advance(state, wita(2027, 3, 1)) == Tick()


def test_unverified_report_blocks_completion_until_verified() -> None:
    state = in_follow_up()
    early = advance(state, wita(2027, 1, 5))
    assert [e.quarter for e in early.events if e.action == "quarter_locked"] == [1, 2, 3]
    report(state, 4, wita(2027, 1, 5))
    tick = advance(state, wita(2027, 2, 1))
    [locked] = tick.events  # the report is in, so its deadline passes unremarked
    assert (locked.action, locked.quarter, locked.report_state) == (
        "quarter_locked",
        4,
        ReportState.SUBMITTED,
    )
    assert (locked.from_stage, locked.to_stage) == (Stage.FOLLOW_UP, Stage.FOLLOW_UP)
    assert (state.stage, state.locked) == (Stage.FOLLOW_UP, {1, 2, 3, 4})
    assert next_wakeup(state) is None  # nothing timed is left; the reviewer must act
    event = verify(state, 4, wita(2027, 2, 2))
    assert (event.from_stage, event.to_stage) == (Stage.FOLLOW_UP, Stage.COMPLETED)
    assert state.stage == Stage.COMPLETED


def test_last_signature_after_the_last_lock_completes_at_once() -> None:
    # Every quarter locked (all reports missing) while signing dragged on: nothing is
    # left to report or verify, so follow-up would never end by itself.
    state = in_signing()
    sign(state, "bpbd_head", wita(2026, 1, 9))
    sign(state, "planning_head", wita(2026, 1, 12))
    event = sign(state, "regional_head", wita(2027, 2, 5))
    assert state.locked == {1, 2, 3, 4}
    assert (event.from_stage, event.to_stage) == (Stage.SIGNING, Stage.COMPLETED)
    assert state.stage == Stage.COMPLETED
    assert next_wakeup(state) is None


# --- ending ----------------------------------------------------------------------------

BUILDERS: dict[str, Callable[[], CommitmentState]] = {
    "drafting": drafted,
    "review": in_review,
    "signing": in_signing,
    "follow_up": in_follow_up,
}


@pytest.mark.parametrize("stage", list(BUILDERS))
def test_withdraw_ends_the_commitment(stage: str) -> None:
    state = BUILDERS[stage]()
    event = withdraw(state, wita(2026, 1, 20))
    assert (event.from_stage, event.to_stage) == (Stage(stage), Stage.WITHDRAWN)
    assert event.reason == "Tidak ikut siklus"
    assert state.stage == Stage.WITHDRAWN
    seq, clock = state.seq, state.clock

    attempts: list[Callable[[], object]] = [
        lambda: check_save_draft(
            state, SaveDraft(actor=OFFICER, plan=PLAN, based_on_version=state.version)
        ),
        lambda: check_submit(state, Submit(actor=OFFICER, version=1)),
        lambda: check_approve(state, Approve(actor=REVIEWER, version=1)),
        lambda: check_sign(state, Sign(actor=signatory("bpbd_head"), document_hash="0" * 64)),
        lambda: check_submit_report(
            state, SubmitReport(actor=OFFICER, report=quarterly(1)), wita(2026, 4, 1)
        ),
        lambda: check_withdraw(state, Withdraw(actor=COORDINATOR, reason="lagi")),
        lambda: check_extend(
            state,
            ExtendDeadline(
                actor=COORDINATOR, key=DeadlineKey.Q1, until=date(2026, 5, 1), reason="x"
            ),
        ),
    ]
    for attempt in attempts:
        refused(attempt, "stage 'withdrawn'")
    assert advance(state, wita(2027, 6, 1)) == Tick()
    assert state.clock == clock
    assert next_wakeup(state) is None
    assert apply_cancel(state, Cancel(actor=COORDINATOR, reason="Siklus batal"), clock) is None
    assert (state.stage, state.seq) == (Stage.WITHDRAWN, seq)


def test_cancel_ends_an_open_commitment_once() -> None:
    state = in_review()
    cancel = Cancel(actor=COORDINATOR, reason="Siklus dibatalkan")
    event = apply_cancel(state, cancel, wita(2026, 1, 7))
    assert event is not None
    assert (event.action, event.from_stage, event.to_stage) == (
        "cancel",
        Stage.REVIEW,
        Stage.CANCELLED,
    )
    assert event.reason == "Siklus dibatalkan"
    assert event.next_due_at is None and event.overdue_since is None
    assert apply_cancel(state, cancel, wita(2026, 1, 8)) is None
    assert state.stage == Stage.CANCELLED


# --- event numbering and scope ---------------------------------------------------------


def test_event_seq_increases_by_one_per_event() -> None:
    state = fresh()
    events = [started_event(state)]
    events.append(save(state, wita(2026, 1, 5)))
    events.append(submit(state, wita(2026, 1, 6)))
    events.append(request_changes(state, wita(2026, 1, 7)))
    events.append(save(state, wita(2026, 1, 8), PLAN_B))
    events.append(submit(state, wita(2026, 1, 8, 11)))
    events.append(approve(state, wita(2026, 1, 9)))
    events += advance(state, wita(2026, 2, 20)).events  # signing deadline passes
    events.append(sign(state, "bpbd_head", wita(2026, 2, 20)))
    events.append(sign(state, "planning_head", wita(2026, 2, 21)))
    events.append(sign(state, "regional_head", wita(2026, 2, 22)))
    events.append(report(state, 1, wita(2026, 4, 10)))
    events.append(return_report(state, 1, wita(2026, 4, 12)))
    events.append(report(state, 1, wita(2026, 4, 13)))
    events.append(verify(state, 1, wita(2026, 4, 14)))
    last = advance(state, wita(2027, 2, 1)).events
    assert [(e.action, e.reason or e.quarter) for e in last] == [
        ("deadline_passed", "q2"),
        ("deadline_passed", "q3"),
        ("deadline_passed", "q4"),
        ("quarter_locked", 1),
        ("quarter_locked", 2),
        ("quarter_locked", 3),
        ("quarter_locked", 4),
    ]
    events += last
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert len(events) == 22
    assert state.seq == 22
    assert state.stage == Stage.COMPLETED
    assert events[-1].to_stage == Stage.COMPLETED
    assert {e.commitment_id for e in events} == {"rakor-ntt-2026:53.01"}


OTHER_SIGNATORY = signatory("bpbd_head", regency_code="53.02")


def _save_req(actor: Actor) -> Callable[[CommitmentState], None]:
    return lambda s: check_save_draft(
        s, SaveDraft(actor=actor, plan=PLAN, based_on_version=s.version)
    )


def _submit_req(actor: Actor) -> Callable[[CommitmentState], None]:
    return lambda s: check_submit(s, Submit(actor=actor, version=s.version))


def _report_req(actor: Actor) -> Callable[[CommitmentState], None]:
    return lambda s: check_submit_report(
        s, SubmitReport(actor=actor, report=quarterly(1)), wita(2026, 4, 10)
    )


def _sign_req(actor: Actor) -> Callable[[CommitmentState], None]:
    return lambda s: check_sign(s, Sign(actor=actor, document_hash=s.approved_hash or ""))


def _decline_req(actor: Actor) -> Callable[[CommitmentState], None]:
    return lambda s: check_decline(s, Decline(actor=actor, reason="Tidak setuju"))


REGENCY_ACTIONS: dict[str, tuple[Callable[[], CommitmentState], Any, Actor, Actor]] = {
    "save_draft": (drafted, _save_req, OFFICER, OTHER_OFFICER),
    "submit": (drafted, _submit_req, OFFICER, OTHER_OFFICER),
    "submit_report": (in_follow_up, _report_req, OFFICER, OTHER_OFFICER),
    "sign": (in_signing, _sign_req, signatory("bpbd_head"), OTHER_SIGNATORY),
    "decline": (in_signing, _decline_req, signatory("bpbd_head"), OTHER_SIGNATORY),
}


@pytest.mark.parametrize("action", list(REGENCY_ACTIONS))
def test_actor_of_another_regency_is_refused(action: str) -> None:
    build, check_for, own, other = REGENCY_ACTIONS[action]
    state = build()
    check_for(own)(state)  # the same request from the regency's own actor passes
    reason = refused(lambda: check_for(other)(state))
    assert reason == f"{other.name} acts for regency 53.02, not 53.01"
