"""The db modules on SQLite and PostgreSQL: schema, a commitment's full record, idempotency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from activities.records import Recorder
from db import mail, people, reads, records
from db import models as m
from db.session import alembic_config, engine_for, migrate, session_factory, transaction
from domain.audit import SUPERSEDES
from domain.calendar import WITA, at_wita, wita_date
from domain.catalog import Office, load_catalog
from domain.commitment import (
    Approve,
    Audience,
    CommitmentState,
    DeadlineKey,
    DecidedIn,
    Event,
    ReminderIntent,
    ReminderKind,
    RequestChanges,
    ReviewComment,
    SaveDraft,
    Sign,
    Submit,
    SubmitReport,
    apply_approve,
    apply_request_changes,
    apply_save_draft,
    apply_sign,
    apply_submit,
    apply_submit_report,
    check_approve,
    check_request_changes,
    check_save_draft,
    check_sign,
    check_submit,
    check_submit_report,
    report_key,
    started_event,
)
from domain.cycle import CycleEvent, CycleSpec
from domain.plan import ActionPlan
from domain.reports import ItemProgress, ProgressStatus, QuarterlyReport, ReportState
from domain.roles import Acting, Actor, Role
from domain.schedule import default_schedule
from komitmen.demo import sample_plan
from services.actions import build_cycle_spec

CATALOG = load_catalog()
KUPANG = CATALOG.get("53.01")
CYCLE_ID = "rakor-pb-ntt-2026"
COMMITMENT_ID = f"{CYCLE_ID}:53.01"

COORDINATOR = Actor(name="Maria Goreti Koordinator", role=Role.COORDINATOR)
OFFICER = Actor(name="Yohanes Bria", role=Role.REGENCY_OFFICER, regency_code="53.01")
REVIEWER = Actor(name="Agustina Ndun", role=Role.REVIEWER)
BPBD_HEAD = Actor(
    name="Bernadus Kefi",
    role=Role.SIGNATORY,
    regency_code="53.01",
    office=Office.BPBD_HEAD.value,
    nip="197001011995031001",
)
ACTING_PLANNING_HEAD = Actor(
    name="Theresia Lay",
    role=Role.SIGNATORY,
    regency_code="53.01",
    office=Office.PLANNING_HEAD.value,
    acting=Acting.PLT,
    nip="198203152006042002",
)
REGENT = Actor(
    name="Yosef Lede",
    role=Role.SIGNATORY,
    regency_code="53.01",
    office=Office.REGIONAL_HEAD.value,
)

CYCLE_STARTED_AT = at_wita(date(2026, 1, 5), 8)
FIRST_PLAN = sample_plan(KUPANG)
# The second version raises the IKD budget by an amount with cents, to see Decimals survive.
SECOND_BUDGET = Decimal("27500000.50")
SECOND_PLAN = ActionPlan(
    items=(
        FIRST_PLAN.items[0],
        FIRST_PLAN.items[1].model_copy(update={"budget_rp": SECOND_BUDGET}),
        *FIRST_PLAN.items[2:],
    )
)
COMMENTS = (
    ReviewComment(item_position=2, text="Anggaran penilaian IKD belum memadai."),
    ReviewComment(text="Lengkapi mitra pentahelix pada seluruh butir."),
    ReviewComment(item_position=4, text="Sebutkan sumber data kelompok rentan."),
)
EXPECTED_ACTIONS = [
    "started",
    "save_draft",
    "submit",
    "request_changes",
    "save_draft",
    "submit",
    "approve",
    "sign",
    "sign",
    "sign",
    "submit_report",
]


@dataclass
class Story:
    """The cycle and one commitment's events, produced by the pure domain functions."""

    spec: CycleSpec
    cycle_event: CycleEvent
    events: list[Event]
    state: CommitmentState


def cycle_spec() -> CycleSpec:
    return build_cycle_spec(
        cycle_id=CYCLE_ID,
        name="Rakor PB NTT 2026",
        year=2026,
        catalog=CATALOG,
        schedule=default_schedule(2026),
        started_by=COORDINATOR,
        regency_codes=["53.01", "53.02"],
    )


def tell_story() -> Story:
    """Draft, revise, approve, sign (one signatory acting) and report a quarter late."""
    spec = cycle_spec()
    cycle_event = CycleEvent(
        cycle_id=CYCLE_ID,
        seq=1,
        action="started",
        status="running",
        actor=COORDINATOR,
        occurred_at=CYCLE_STARTED_AT,
        spec=spec,
    )
    state = CommitmentState.start(
        spec.commitment_spec(spec.regencies[0]), at_wita(date(2026, 1, 5), 9)
    )
    events = [started_event(state)]

    def on(day: date, hour: int) -> datetime:
        return at_wita(day, hour)

    save = SaveDraft(actor=OFFICER, plan=FIRST_PLAN, based_on_version=0)
    check_save_draft(state, save)
    events.append(apply_save_draft(state, save, on(date(2026, 1, 6), 10)))
    submit = Submit(actor=OFFICER, version=1)
    check_submit(state, submit)
    events.append(apply_submit(state, submit, on(date(2026, 1, 7), 10)))
    changes = RequestChanges(actor=REVIEWER, version=1, comments=COMMENTS)
    check_request_changes(state, changes)
    events.append(apply_request_changes(state, changes, on(date(2026, 1, 8), 14)))
    save = SaveDraft(actor=OFFICER, plan=SECOND_PLAN, based_on_version=1)
    check_save_draft(state, save)
    events.append(apply_save_draft(state, save, on(date(2026, 1, 9), 10)))
    submit = Submit(actor=OFFICER, version=2)
    check_submit(state, submit)
    events.append(apply_submit(state, submit, on(date(2026, 1, 12), 9)))
    approve = Approve(actor=REVIEWER, version=2)
    check_approve(state, approve)
    events.append(apply_approve(state, approve, on(date(2026, 1, 13), 11)))
    assert state.approved_hash is not None
    # The second signature comes after the signing deadline (15 February), the third after it.
    for actor, day in (
        (BPBD_HEAD, date(2026, 2, 10)),
        (ACTING_PLANNING_HEAD, date(2026, 2, 16)),
        (REGENT, date(2026, 2, 17)),
    ):
        sign = Sign(actor=actor, document_hash=state.approved_hash)
        check_sign(state, sign)
        events.append(apply_sign(state, sign, on(day, 10)))
    report = SubmitReport(
        actor=OFFICER,
        report=QuarterlyReport(
            quarter=1,
            items=(
                ItemProgress(
                    item_position=1,
                    status=ProgressStatus.SESUAI_JADWAL,
                    percent_realised=Decimal("25.50"),
                    narrative="Laporan SPM triwulan I terunggah.",
                ),
            ),
        ),
    )
    # Triwulan I is due 20 April and locks 30 April: 22 April is late.
    report_at = on(date(2026, 4, 22), 10)
    check_submit_report(state, report, report_at)
    events.append(apply_submit_report(state, report, report_at))
    assert [e.action for e in events] == EXPECTED_ACTIONS
    assert [e.seq for e in events] == list(range(1, 12))
    return Story(spec=spec, cycle_event=cycle_event, events=events, state=state)


def signature_title(event: Event) -> str | None:
    if event.signature is None:
        return None
    return KUPANG.title_of(Office(event.signature.office), wita_date(event.signature.signed_at))


def record(sessions: sessionmaker[Session], event: Event) -> bool:
    with transaction(sessions) as session:
        return records.record_event(
            session,
            event=event,
            regency_name=KUPANG.name,
            signature_title=signature_title(event),
        )


def record_story(sessions: sessionmaker[Session], story: Story) -> None:
    with transaction(sessions) as session:
        assert records.record_cycle_event(session, event=story.cycle_event) is True
    for event in story.events:
        assert record(sessions, event) is True


def row_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in m.Base.metadata.sorted_tables
        }


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# --- schema ------------------------------------------------------------------------------


def test_migrations_create_every_table_and_rerun_harmlessly(db_url: str) -> None:
    # The fixture migrated once already; twice more must change nothing and not fail.
    migrate(db_url)
    migrate(db_url)
    inspector = inspect(engine_for(db_url))
    tables = set(inspector.get_table_names())
    assert tables == {*m.Base.metadata.tables, "alembic_version"}
    for table in m.Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("reminder_sent")}
    assert ("dedupe_key", "recipient") in unique
    with engine_for(db_url).connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    assert versions == [head]


# --- a commitment's full record -------------------------------------------------------


def test_a_commitment_story_is_recorded_row_by_row(db_url: str) -> None:
    sessions = session_factory(db_url)
    story = tell_story()
    schedule = story.spec.schedule
    with transaction(sessions) as session:
        assert records.record_cycle_event(session, event=story.cycle_event) is True
    by_seq = {e.seq: e for e in story.events}
    for seq in range(1, 10):
        assert record(sessions, by_seq[seq]) is True

    # After the late second signature the commitment shows as overdue since the deadline.
    with sessions() as session:
        row = reads.get_commitment(session, commitment_id=COMMITMENT_ID)
        assert row is not None
        assert (row.stage, row.last_seq) == ("signing", 9)
        assert row.overdue_since == utc(schedule.signing_due)
        assert row.overdue_since is not None and row.overdue_since.tzinfo is UTC

    for seq in (10, 11):
        assert record(sessions, by_seq[seq]) is True

    with sessions() as session:
        cycle = session.get(m.Cycle, CYCLE_ID)
        assert cycle is not None
        assert (cycle.name, cycle.year, cycle.status) == ("Rakor PB NTT 2026", 2026, "running")
        assert cycle.started_by == COORDINATOR.name
        assert cycle.started_at == utc(CYCLE_STARTED_AT)
        assert cycle.ended_at is None
        assert [r["code"] for r in cycle.spec["regencies"]] == ["53.01", "53.02"]
        assert CycleSpec.model_validate(cycle.spec) == story.spec

        commitments = reads.list_commitments(session, cycle_id=CYCLE_ID)
        assert [c.id for c in commitments] == [COMMITMENT_ID]
        row = commitments[0]
        assert row.regency_code == "53.01"
        assert row.regency_name == "Kabupaten Kupang"
        assert row.stage == "follow_up"
        assert row.round == 2
        assert row.latest_version == 2
        assert row.approved_version == 2
        assert row.document_hash == story.state.approved_hash
        assert row.document_hash is not None and len(row.document_hash) == 64
        assert row.overdue_since is None
        assert row.next_due_at == utc(story.state.deadlines[report_key(2)])
        assert row.last_seq == 11
        assert row.updated_at == utc(at_wita(date(2026, 4, 22), 10))
        assert row.deadlines["drafting"] == schedule.drafting_due.isoformat()
        assert row.deadlines["q4_lock"] == schedule.quarters[3].lock.isoformat()
        assert "review" not in row.deadlines

        versions = reads.list_versions(session, commitment_id=COMMITMENT_ID)
        assert [(v.number, v.round, v.saved_by) for v in versions] == [
            (1, 1, OFFICER.name),
            (2, 2, OFFICER.name),
        ]
        assert versions[1].saved_at == utc(at_wita(date(2026, 1, 9), 10))
        for number, plan in ((1, FIRST_PLAN), (2, SECOND_PLAN)):
            items = reads.version_items(session, commitment_id=COMMITMENT_ID, number=number)
            assert [i.position for i in items] == [1, 2, 3, 4]
            assert [i.activity for i in items] == [i.activity for i in plan.items]
            assert [i.budget_rp for i in items] == [i.budget_rp for i in plan.items]
            assert all(isinstance(i.budget_rp, Decimal) for i in items)
            assert items[2].partners == ["masyarakat", "dunia_usaha"]
            assert items[2].due_quarters == [3, 4]
            assert items[0].target_value == Decimal(4)
        v2 = reads.version_items(session, commitment_id=COMMITMENT_ID, number=2)
        assert v2[1].budget_rp == Decimal("27500000.50")
        assert str(v2[1].budget_rp) == "27500000.50"

        comments = reads.list_comments(session, commitment_id=COMMITMENT_ID)
        assert [(c.position, c.item_position, c.text) for c in comments] == [
            (1, 2, COMMENTS[0].text),
            (2, None, COMMENTS[1].text),
            (3, 4, COMMENTS[2].text),
        ]
        assert {(c.round, c.version, c.event_seq, c.author) for c in comments} == {
            (1, 1, 4, REVIEWER.name)
        }

        signatures = reads.list_signatures(session, commitment_id=COMMITMENT_ID)
        assert [(s.office, s.signer_name, s.acting, s.title) for s in signatures] == [
            ("bpbd_head", BPBD_HEAD.name, "definitive", "Kepala BPBD Kabupaten Kupang"),
            (
                "planning_head",
                ACTING_PLANNING_HEAD.name,
                "plt",
                "Kepala Bappeda Kabupaten Kupang",
            ),
            ("regional_head", REGENT.name, "definitive", "Bupati Kupang"),
        ]
        assert [s.nip for s in signatures] == [BPBD_HEAD.nip, ACTING_PLANNING_HEAD.nip, None]
        assert {(s.version, s.document_hash) for s in signatures} == {
            (2, story.state.approved_hash)
        }
        assert signatures[1].signed_at == utc(at_wita(date(2026, 2, 16), 10))

        reports = reads.list_reports(session, commitment_id=COMMITMENT_ID)
        assert len(reports) == 1
        report = reports[0]
        assert (report.quarter, report.state, report.timeliness) == (1, "submitted", "late")
        assert report.submitted_by == OFFICER.name
        assert report.submitted_at == utc(at_wita(date(2026, 4, 22), 10))
        assert report.verified_at is None
        assert [i["item_position"] for i in report.items] == [1]
        assert Decimal(report.items[0]["percent_realised"]) == Decimal("25.50")

        trail = reads.list_audit(session, cycle_id=CYCLE_ID, stream=COMMITMENT_ID)
        assert [a.seq for a in trail] == list(range(1, 12))
        assert [a.action for a in trail] == EXPECTED_ACTIONS
        assert [(a.from_stage, a.to_stage) for a in trail] == [
            ("drafting", "drafting"),
            ("drafting", "drafting"),
            ("drafting", "review"),
            ("review", "drafting"),
            ("drafting", "drafting"),
            ("drafting", "review"),
            ("review", "signing"),
            ("signing", "signing"),
            ("signing", "signing"),
            ("signing", "follow_up"),
            ("follow_up", "follow_up"),
        ]
        assert [a.actor for a in trail] == [
            "Komitmen",
            OFFICER.name,
            OFFICER.name,
            REVIEWER.name,
            OFFICER.name,
            OFFICER.name,
            REVIEWER.name,
            BPBD_HEAD.name,
            ACTING_PLANNING_HEAD.name,
            REGENT.name,
            OFFICER.name,
        ]
        assert [a.actor_role for a in trail][3] == "reviewer"
        assert trail[3].detail == {"round": 2, "version": 1, "comments": 3, "reviewed_round": 1}
        assert trail[8].detail["acting"] == "plt"
        assert trail[10].detail["timeliness"] == "late"
        assert [a.occurred_at for a in trail] == [utc(e.occurred_at) for e in story.events]

        whole = reads.list_audit(session, cycle_id=CYCLE_ID)
        assert [(a.stream, a.seq) for a in whole][:2] == [
            (f"cycle:{CYCLE_ID}", 1),
            (COMMITMENT_ID, 1),
        ]
        assert len(whole) == 12


def test_an_older_event_recorded_late_does_not_roll_the_projection_back(db_url: str) -> None:
    sessions = session_factory(db_url)
    story = tell_story()
    with transaction(sessions) as session:
        records.record_cycle_event(session, event=story.cycle_event)
    events = story.events
    for event in events[:5]:
        record(sessions, event)
    # The approval (seq 7) is recorded before the submission (seq 6): a workflow records one
    # change after another, so the submission's recording comes from a workflow task that
    # never completed (its worker stalled), and is not recorded.
    assert record(sessions, decided(events[6], 40)) is True
    assert record(sessions, decided(events[5], 36)) is False
    with sessions() as session:
        row = reads.get_commitment(session, commitment_id=COMMITMENT_ID)
        assert row is not None
        assert (row.stage, row.last_seq, row.approved_version) == ("signing", 7, 2)
        trail = reads.list_audit(session, cycle_id=CYCLE_ID, stream=COMMITMENT_ID)
        assert [a.seq for a in trail] == [1, 2, 3, 4, 5, 7]


# --- idempotency ------------------------------------------------------------------------


def test_recording_an_event_twice_writes_its_rows_once(db_url: str) -> None:
    sessions = session_factory(db_url)
    story = tell_story()
    record_story(sessions, story)
    counts = row_counts(sessions)
    assert counts["audit_event"] == 12
    assert counts["plan_version"] == 2
    assert counts["action_item"] == 8
    assert counts["review_comment"] == 3
    assert counts["signature"] == 3
    assert counts["quarterly_report"] == 1
    assert counts["commitment"] == 1
    assert counts["cycle"] == 1

    with transaction(sessions) as session:
        assert records.record_cycle_event(session, event=story.cycle_event) is False
    for event in story.events:
        assert record(sessions, event) is False
    # Twice within one transaction, too: the first write is visible to the second check.
    with transaction(sessions) as session:
        for _ in range(2):
            again = records.record_event(session, event=story.events[3], regency_name=KUPANG.name)
            assert again is False
    assert row_counts(sessions) == counts
    with sessions() as session:
        row = reads.get_commitment(session, commitment_id=COMMITMENT_ID)
        assert row is not None
        assert (row.stage, row.last_seq) == ("follow_up", 11)


def decided(event: Event, history_length: int) -> Event:
    """The event as the workflow task that started on `history_length` events made it."""
    task = DecidedIn(run_id="run-1", history_length=history_length)
    return event.model_copy(update={"decided_in": task})


def claim_notice(sessions: sessionmaker[Session], seq: int, recipient: str) -> None:
    """Claim the turn notice of change `seq`, as `record_and_tell` does before sending."""
    with transaction(sessions) as session:
        assert mail.claim_message(
            session,
            commitment_id=COMMITMENT_ID,
            kind="turn",
            dedupe_key=mail.event_key(COMMITMENT_ID, seq),
            recipient=recipient,
            message_id=f"<turn-{seq}@test>",
            now=CYCLE_STARTED_AT,
        )


def reports(session: Session) -> list[m.QuarterlyReport]:
    return list(session.scalars(select(m.QuarterlyReport)).all())


def standing_trail(sessions: sessionmaker[Session]) -> list[tuple[int, str]]:
    with sessions() as session:
        trail = reads.list_audit(session, cycle_id=CYCLE_ID, stream=COMMITMENT_ID)
        return [(a.seq, a.action) for a in trail]


def superseded_rows(sessions: sessionmaker[Session]) -> list[tuple[int, str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(m.AuditEvent.seq, m.AuditEvent.action, m.AuditEvent.hash)
            .where(m.AuditEvent.superseded)
            .order_by(m.AuditEvent.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def chain_ok(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        return reads.verify_audit_chain(session, cycle_id=CYCLE_ID).ok


def test_a_retried_change_decided_alike_stands_and_nothing_is_said(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = session_factory(db_url)
    story = tell_story()
    record_story(sessions, story)
    counts = row_counts(sessions)
    last = story.events[-1]
    later = last.occurred_at + timedelta(seconds=10)
    with caplog.at_level("WARNING", logger="db.records"):
        assert record(sessions, last.model_copy(update={"occurred_at": later})) is False
    assert not caplog.records
    assert row_counts(sessions) == counts


def test_a_lost_tasks_changes_are_superseded_by_its_retry_and_taken_back(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A workflow task recorded the third signature and a report by local activity and
    never completed; its retry, later, finds the third signature declined first. The
    report goes back to none, and the retry's row names both rows it replaced."""
    sessions = session_factory(db_url)
    story = tell_story()
    *before, sign, report = story.events
    sign, report = decided(sign, 10), decided(report, 10)
    with transaction(sessions) as session:
        records.record_cycle_event(session, event=story.cycle_event)
    for event in before:
        assert record(sessions, event) is True
    with sessions() as session:
        before_version = session.scalar(select(func.count()).select_from(m.PlanVersion))
    # The lost task's rows, and the notice it claimed for each.
    assert record(sessions, sign) is True and record(sessions, report) is True
    claim_notice(sessions, sign.seq, "regent@example.org")
    claim_notice(sessions, report.seq, "reviewer@example.org")
    with sessions() as session:
        lost = (
            session.execute(
                select(m.AuditEvent.hash)
                .where(m.AuditEvent.seq >= sign.seq)
                .order_by(m.AuditEvent.seq)
            )
            .scalars()
            .all()
        )
        assert reports(session)

    # The same signature decided alike stands, and so does the report after it, for now.
    later = report.occurred_at + timedelta(seconds=10)
    assert record(sessions, decided(sign, 14).model_copy(update={"occurred_at": later})) is False
    declined = decided(sign, 14).model_copy(
        update={
            "action": "decline",
            "to_stage": before[-1].to_stage,
            "signature": None,
            "reason": "Nama jabatan keliru.",
            "occurred_at": later,
        }
    )
    with caplog.at_level("ERROR", logger="db.records"):
        assert record(sessions, declined) is True
    (said,) = caplog.records
    assert (
        f"{COMMITMENT_ID} #{sign.seq}, #{report.seq} (sign, submit_report) recorded by"
        in said.getMessage()
    )
    assert standing_trail(sessions)[-2:] == [(sign.seq - 1, "sign"), (sign.seq, "decline")]
    assert [(seq, action) for seq, action, _ in superseded_rows(sessions)] == [
        (sign.seq, "sign"),
        (report.seq, "submit_report"),
    ]
    with sessions() as session:
        row = reads.get_commitment(session, commitment_id=COMMITMENT_ID)
        assert row is not None and (row.stage, row.last_seq) == ("signing", sign.seq)
        assert reports(session) == []
        assert len(reads.list_signatures(session, commitment_id=COMMITMENT_ID)) == 2
        assert session.scalar(select(func.count()).select_from(m.PlanVersion)) == before_version
        # The lost task's notices were claimed, and may have gone out: their claims stay,
        # set aside, so the change recorded in their place is told under its own.
        claims = session.execute(select(m.ReminderSent.dedupe_key, m.ReminderSent.sent_at))
        assert sorted(claims) == [
            (f"{mail.event_key(COMMITMENT_ID, seq)}{mail.SET_ASIDE}{hash[:12]}", None)
            for seq, hash in zip((sign.seq, report.seq), lost, strict=True)
        ]
        now = session.scalars(
            select(m.AuditEvent).where(~m.AuditEvent.superseded, m.AuditEvent.seq == sign.seq)
        ).one()
        assert now.detail[SUPERSEDES] == list(lost)
    assert chain_ok(sessions)

    # The same change recorded again (its activity retried): it stands, as before.
    counts = row_counts(sessions)
    assert record(sessions, declined) is False
    assert row_counts(sessions) == counts
    assert chain_ok(sessions)


def test_another_change_under_a_lost_seq_takes_back_its_version_and_comments(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The lost task requested changes (with comments) and the officer's next version was
    saved; its retry finds the reviewer's approval first, at the same seq."""
    sessions = session_factory(db_url)
    story = tell_story()
    events = story.events
    with transaction(sessions) as session:
        records.record_cycle_event(session, event=story.cycle_event)
    for event in events[:3]:  # started, v1 saved, submitted
        assert record(sessions, event) is True
    changes, saved = decided(events[3], 20), decided(events[4], 20)
    assert (changes.action, saved.action) == ("request_changes", "save_draft")
    assert record(sessions, changes) is True and record(sessions, saved) is True
    later = saved.occurred_at + timedelta(seconds=10)
    approve = decided(events[6], 24).model_copy(
        update={"seq": changes.seq, "version": 1, "occurred_at": later, "round": changes.round}
    )

    with caplog.at_level("ERROR", logger="db.records"):
        assert record(sessions, approve) is True
    assert "superseded" in caplog.records[0].getMessage()
    assert standing_trail(sessions) == [
        (1, "started"),
        (2, "save_draft"),
        (3, "submit"),
        (4, "approve"),
    ]
    with sessions() as session:
        versions = session.scalars(select(m.PlanVersion.number)).all()
        assert versions == [1]
        assert session.scalar(select(func.count()).select_from(m.ReviewComment)) == 0
        kept = session.scalar(select(func.count()).select_from(m.ActionItem))
        assert kept == len(events[1].plan.items)  # type: ignore[union-attr]
        row = reads.get_commitment(session, commitment_id=COMMITMENT_ID)
        assert row is not None and (row.stage, row.last_seq) == (approve.to_stage.value, 4)
    assert chain_ok(sessions)

    # The lost task's own activity, late (its worker stalled): a later task decided #4.
    caplog.clear()
    counts = row_counts(sessions)
    with caplog.at_level("WARNING", logger="db.records"):
        assert record(sessions, saved) is False
    assert "recorded by a later workflow task" in caplog.records[0].getMessage()
    assert row_counts(sessions) == counts


def test_a_superseded_report_change_restores_the_report_it_replaced(db_url: str) -> None:
    """The lost task marked a report returned; its retry verified it."""
    sessions = session_factory(db_url)
    story = tell_story()
    record_story(sessions, story)
    report = story.events[-1]
    with sessions() as session:
        (before,) = reports(session)
        before_state = (before.state, before.timeliness, before.items, before.submitted_at)
    later = report.occurred_at + timedelta(days=1)
    returned = decided(report, 30).model_copy(
        update={
            "seq": report.seq + 1,
            "action": "return_report",
            "actor": REVIEWER,
            "report": None,
            "report_state": ReportState.RETURNED,
            "reason": "Lampirkan foto kegiatan.",
            "occurred_at": later,
        }
    )
    assert record(sessions, returned) is True
    with sessions() as session:
        (row,) = reports(session)
        assert (row.state, row.return_reason) == ("returned", "Lampirkan foto kegiatan.")
    verified = decided(returned, 34).model_copy(
        update={
            "action": "verify_report",
            "report_state": ReportState.VERIFIED,
            "reason": None,
            "occurred_at": later + timedelta(seconds=10),
        }
    )
    assert record(sessions, verified) is True
    with sessions() as session:
        (row,) = reports(session)
        assert (row.state, row.timeliness, row.items, row.submitted_at) == (
            "verified",
            before_state[1],
            before_state[2],
            before_state[3],
        )
        assert row.return_reason is None and row.verified_by == REVIEWER.name
    assert chain_ok(sessions)


def test_a_new_event_recorded_twice_in_one_transaction_is_written_once(db_url: str) -> None:
    sessions = session_factory(db_url)
    story = tell_story()
    with transaction(sessions) as session:
        records.record_cycle_event(session, event=story.cycle_event)
        first = [
            records.record_event(session, event=story.events[0], regency_name=KUPANG.name),
            records.record_event(session, event=story.events[1], regency_name=KUPANG.name),
            records.record_event(session, event=story.events[1], regency_name=KUPANG.name),
        ]
    assert first == [True, True, False]
    counts = row_counts(sessions)
    assert (counts["audit_event"], counts["plan_version"], counts["action_item"]) == (3, 1, 4)


def test_recorder_activity_is_idempotent_and_titles_signatures(db_url: str) -> None:
    sessions = session_factory(db_url)
    recorder = Recorder(sessions, CATALOG)
    story = tell_story()
    assert recorder.record_cycle_event(story.cycle_event) is True
    assert [recorder.record_event(e) for e in story.events] == [True] * 11
    counts = row_counts(sessions)
    assert recorder.record_cycle_event(story.cycle_event) is False
    assert [recorder.record_event(e) for e in story.events] == [False] * 11
    assert row_counts(sessions) == counts
    assert counts["audit_event"] == 12 and counts["signature"] == 3
    with sessions() as session:
        row = reads.get_commitment(session, commitment_id=COMMITMENT_ID)
        assert row is not None and row.regency_name == "Kabupaten Kupang"
        signatures = reads.list_signatures(session, commitment_id=COMMITMENT_ID)
        # Signed in February 2026, after the BPBD head was retitled (17 December 2025).
        assert [(s.title, s.acting) for s in signatures] == [
            ("Kepala BPBD Kabupaten Kupang", "definitive"),
            ("Kepala Bappeda Kabupaten Kupang", "plt"),
            ("Bupati Kupang", "definitive"),
        ]


# --- datetimes ---------------------------------------------------------------------------


def test_aware_datetimes_come_back_as_the_same_instant_in_utc(db_url: str) -> None:
    sessions = session_factory(db_url)
    wita_morning = datetime(2026, 1, 5, 7, 30, tzinfo=WITA)  # 23:30 UTC the day before
    with transaction(sessions) as session:
        people.add_user(
            session,
            username="operator-5301",
            full_name="Operator BPBD Kabupaten Kupang",
            email="operator-5301@example.org",
            role="regency_officer",
            regency_code="53.01",
            office=None,
            now=wita_morning,
        )
    with sessions() as session:
        user = people.get_user(session, username="operator-5301")
        assert user is not None
        assert user.created_at == wita_morning
        assert user.created_at.tzinfo is UTC
        assert (user.created_at.day, user.created_at.hour, user.created_at.minute) == (4, 23, 30)

    story = tell_story()
    record_story(sessions, story)
    with sessions() as session:
        trail = reads.list_audit(session, cycle_id=CYCLE_ID)
        assert all(a.occurred_at.utcoffset() == timedelta(0) for a in trail)
        # The cycle started at 08:00 WITA, before the commitment at 09:00 WITA.
        assert trail[0].occurred_at == datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def test_a_naive_datetime_is_refused(db_url: str) -> None:
    sessions = session_factory(db_url)
    with pytest.raises(StatementError, match="naive datetime") as refused:
        with transaction(sessions) as session:
            people.add_user(
                session,
                username="naif",
                full_name="Naif",
                email="naif@example.org",
                role="reviewer",
                regency_code=None,
                office=None,
                now=datetime(2026, 1, 5, 9, 0),
            )
    assert isinstance(refused.value.orig, ValueError)
    with sessions() as session:
        assert people.get_user(session, username="naif") is None


# --- messages claimed before sending ----------------------------------------------------


def intent(story: Story, days: int) -> ReminderIntent:
    due = story.spec.schedule.drafting_due
    return ReminderIntent(
        commitment_id=COMMITMENT_ID,
        cycle_id=CYCLE_ID,
        cycle_name="Rakor PB NTT 2026",
        regency_code="53.01",
        regency_name=KUPANG.name,
        deadline_key=DeadlineKey.DRAFTING,
        due_at=due,
        days=days,
        kind=ReminderKind.REMINDER,
        audience=Audience.REGENCY_OFFICER,
        fires_at=due - timedelta(days=days),
    )


def test_a_sent_message_cannot_be_claimed_again(db_url: str) -> None:
    sessions = session_factory(db_url)
    story = tell_story()
    with transaction(sessions) as session:
        records.record_cycle_event(session, event=story.cycle_event)
    record(sessions, story.events[0])
    now = datetime(2026, 1, 8, 0, 0, tzinfo=UTC)
    to = "operator-5301@example.org"
    seven_days = intent(story, 7)

    def claim(key: str, message_id: str, reminder: ReminderIntent | None = None) -> bool:
        with transaction(sessions) as session:
            return mail.claim_message(
                session,
                commitment_id=COMMITMENT_ID,
                kind="digest",
                dedupe_key=key,
                recipient=to,
                message_id=message_id,
                now=now,
                intent=reminder,
            )

    def mark(message_id: str) -> None:
        with transaction(sessions) as session:
            mail.mark_sent(session, message_id=message_id, sent_at=now)

    assert claim("k7", "<digest.a@komitmen>", seven_days) is True
    # Not marked sent (the send failed): a retry claims it again, under its new id.
    assert claim("k7", "<digest.b@komitmen>", seven_days) is True
    assert claim("k3", "<digest.c@komitmen>") is True
    mark("<digest.b@komitmen>")
    assert claim("k7", "<digest.d@komitmen>", seven_days) is False
    # Another person's copy of the same reminder is its own row.
    with transaction(sessions) as session:
        assert mail.claim_message(
            session,
            commitment_id=COMMITMENT_ID,
            kind="digest",
            dedupe_key="k7",
            recipient="reviewer@example.org",
            message_id="<digest.e@komitmen>",
            now=now,
        )
    # k3 went out under another message, never marked: still claimable.
    assert claim("k3", "<digest.f@komitmen>") is True

    with sessions() as session:
        rows = mail.list_reminders(session, cycle_id=CYCLE_ID)
        by_key = {(r.dedupe_key, r.recipient): r for r in rows}
        assert len(rows) == 3
        k7 = by_key[("k7", to)]
        assert k7.message_id == "<digest.b@komitmen>"
        assert k7.sent_at == now
        assert (k7.kind, k7.deadline_key, k7.days) == ("digest", "drafting", 7)
        assert k7.due_at == utc(story.spec.schedule.drafting_due)
        k3 = by_key[("k3", to)]
        assert (k3.sent_at, k3.message_id, k3.deadline_key) == (None, "<digest.f@komitmen>", None)
        assert by_key[("k7", "reviewer@example.org")].sent_at is None


def test_a_token_stops_working_when_it_expires_or_is_revoked(db_url: str) -> None:
    sessions = session_factory(db_url)
    issued = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
    with transaction(sessions) as session:
        user = people.add_user(
            session,
            username="operator-5301",
            full_name="Operator BPBD Kabupaten Kupang",
            email="operator-5301@example.org",
            role="regency_officer",
            regency_code="53.01",
            office=None,
            now=issued,
        )
        day = people.create_token(
            session, user_id=user.id, name="web", now=issued, lifetime=timedelta(hours=9)
        )
        forever = people.create_token(session, user_id=user.id, name="api", now=issued)
    with transaction(sessions) as session:
        found = people.find_user_by_token(session, token=day, now=issued + timedelta(hours=8))
        assert found is not None and found.username == "operator-5301"
        assert people.find_user_by_token(session, token=forever, now=issued + timedelta(days=999))
    with transaction(sessions) as session:
        expired = issued + timedelta(hours=9)
        assert people.find_user_by_token(session, token=day, now=expired) is None
        assert people.revoke_token(session, token=forever, now=issued)
        assert people.find_user_by_token(session, token=forever, now=issued) is None
