"""The audit hash chain on SQLite and PostgreSQL: recorded, tampered with, raced, migrated."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from alembic import command
from sqlalchemy import JSON, bindparam, select, text
from sqlalchemy.orm import Session, sessionmaker

from db import models as m
from db import reads, records
from db.session import alembic_config, engine_for, migrate, session_factory, transaction
from domain.audit import BreakReason, ChainCheck, ChainHead
from domain.calendar import at_wita
from domain.commitment import (
    Approve,
    CommitmentState,
    Event,
    SaveDraft,
    Submit,
    apply_approve,
    apply_save_draft,
    apply_submit,
    check_approve,
    check_save_draft,
    check_submit,
    started_event,
)
from domain.cycle import CycleEvent, CycleSpec
from domain.roles import Actor, Role
from domain.schedule import default_schedule
from komitmen.demo import sample_plan
from services.actions import build_cycle_spec
from tests.db.test_repository import (
    CATALOG,
    COMMITMENT_ID,
    COORDINATOR,
    CYCLE_ID,
    CYCLE_STARTED_AT,
    REVIEWER,
    record_story,
    tell_story,
)

# The story records the cycle's start first, so commitment seq N sits at chain position N + 1.
APPROVE_SEQ = 7


def verify(sessions: sessionmaker[Session], cycle_id: str = CYCLE_ID) -> ChainCheck:
    with sessions() as session:
        return reads.verify_audit_chain(session, cycle_id=cycle_id)


def head(sessions: sessionmaker[Session], cycle_id: str = CYCLE_ID) -> ChainHead | None:
    with sessions() as session:
        return reads.audit_chain_head(session, cycle_id=cycle_id)


def hashes(sessions: sessionmaker[Session]) -> list[tuple[str, int, int, str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(
                m.AuditEvent.cycle_id,
                m.AuditEvent.seq,
                m.AuditEvent.chain_seq,
                m.AuditEvent.prev_hash,
                m.AuditEvent.hash,
            ).order_by(m.AuditEvent.id)
        ).all()
    return [(r.cycle_id, r.seq, r.chain_seq, r.prev_hash, r.hash) for r in rows]


def raw_sql(db_url: str, sql: str, **params: object) -> None:
    """Change the database behind the application's back, as someone with a SQL shell would."""
    statement = text(sql)
    if "detail" in params:
        statement = statement.bindparams(bindparam("detail", type_=JSON))
    with engine_for(db_url).begin() as conn:
        assert conn.execute(statement, params).rowcount == 1


def test_a_recorded_story_verifies_and_retries_do_not_move_the_head(db_url: str) -> None:
    sessions = session_factory(db_url)
    story = tell_story()
    record_story(sessions, story)
    check = verify(sessions)
    assert check.ok, check.broken
    assert check.checked == 12
    recorded = head(sessions)
    assert recorded == check.end
    assert recorded is not None and recorded.length == 12 and len(recorded.hash) == 64
    rows = hashes(sessions)
    assert [r[2] for r in rows] == list(range(1, 13))
    assert [r[3] for r in rows[1:]] == [r[4] for r in rows[:-1]]

    with transaction(sessions) as session:
        assert records.record_cycle_event(session, event=story.cycle_event) is False
        for event in story.events:
            assert records.record_event(session, event=event, regency_name="x") is False
    assert head(sessions) == recorded
    assert hashes(sessions) == rows
    with sessions() as session:
        assert reads.audit_chain_head(session, cycle_id="no-such-cycle") is None


def test_a_row_whose_detail_was_edited_is_named(db_url: str) -> None:
    sessions = session_factory(db_url)
    record_story(sessions, tell_story())
    with sessions() as session:
        approve = session.scalars(
            select(m.AuditEvent).where(
                m.AuditEvent.stream == COMMITMENT_ID, m.AuditEvent.seq == APPROVE_SEQ
            )
        ).one()
        assert approve.action == "approve"
        detail = {**approve.detail, "version": 1}
    raw_sql(
        db_url,
        "UPDATE audit_event SET detail = :detail WHERE stream = :stream AND seq = :seq",
        detail=detail,
        stream=COMMITMENT_ID,
        seq=APPROVE_SEQ,
    )
    check = verify(sessions)
    assert check.broken is not None
    assert check.broken.reason == BreakReason.EDITED
    assert check.broken.position == APPROVE_SEQ + 1
    assert (check.broken.stream, check.broken.seq) == (COMMITMENT_ID, APPROVE_SEQ)
    assert check.checked == APPROVE_SEQ + 1


def test_a_deleted_row_is_named_as_a_gap(db_url: str) -> None:
    sessions = session_factory(db_url)
    record_story(sessions, tell_story())
    raw_sql(
        db_url,
        "DELETE FROM audit_event WHERE stream = :stream AND seq = :seq",
        stream=COMMITMENT_ID,
        seq=4,
    )
    check = verify(sessions)
    assert check.broken is not None
    assert (check.broken.position, check.broken.reason) == (5, BreakReason.MISSING)
    assert (check.broken.stream, check.broken.seq) == (COMMITMENT_ID, 5)


def test_deleting_the_newest_row_leaves_the_trail_short_of_its_head(db_url: str) -> None:
    sessions = session_factory(db_url)
    record_story(sessions, tell_story())
    raw_sql(
        db_url,
        "DELETE FROM audit_event WHERE stream = :stream AND seq = :seq",
        stream=COMMITMENT_ID,
        seq=11,
    )
    check = verify(sessions)
    assert check.broken is not None
    assert (check.broken.position, check.broken.reason) == (12, BreakReason.TRUNCATED)


def test_a_row_marked_superseded_with_nothing_superseding_it_is_named_as_hidden(
    db_url: str,
) -> None:
    """`superseded` is outside the hash: set by hand, it would hide a row from the trail."""
    sessions = session_factory(db_url)
    record_story(sessions, tell_story())
    raw_sql(
        db_url,
        "UPDATE audit_event SET superseded = true WHERE stream = :stream AND seq = :seq",
        stream=COMMITMENT_ID,
        seq=APPROVE_SEQ,
    )
    with sessions() as session:
        trail = reads.list_audit(session, cycle_id=CYCLE_ID, stream=COMMITMENT_ID)
        assert APPROVE_SEQ not in [a.seq for a in trail]
    check = verify(sessions)
    assert check.broken is not None
    assert (check.broken.position, check.broken.reason) == (APPROVE_SEQ + 1, BreakReason.HIDDEN)
    assert (check.broken.stream, check.broken.seq) == (COMMITMENT_ID, APPROVE_SEQ)


# --- many commitments of one cycle at the same moment ---------------------------------


def approved_events(spec: CycleSpec, code: str) -> list[Event]:
    """Start, draft, submit and approve one regency's commitment."""
    state = CommitmentState.start(
        spec.commitment_spec(next(r for r in spec.regencies if r.code == code)),
        at_wita(date(2026, 1, 5), 9),
    )
    officer = Actor(name=f"Operator {code}", role=Role.REGENCY_OFFICER, regency_code=code)
    events = [started_event(state)]
    save = SaveDraft(actor=officer, plan=sample_plan(CATALOG.get(code)), based_on_version=0)
    check_save_draft(state, save)
    events.append(apply_save_draft(state, save, at_wita(date(2026, 1, 6), 10)))
    submit = Submit(actor=officer, version=1)
    check_submit(state, submit)
    events.append(apply_submit(state, submit, at_wita(date(2026, 1, 7), 10)))
    approve = Approve(actor=REVIEWER, version=1)
    check_approve(state, approve)
    events.append(apply_approve(state, approve, at_wita(date(2026, 1, 8), 10)))
    return events


def test_commitments_recording_at_once_append_to_one_unbroken_chain(db_url: str) -> None:
    sessions = session_factory(db_url)
    codes = CATALOG.codes()[:20]
    spec = build_cycle_spec(
        cycle_id=CYCLE_ID,
        name="Rakor PB NTT 2026",
        year=2026,
        catalog=CATALOG,
        schedule=default_schedule(2026),
        started_by=COORDINATOR,
        regency_codes=codes,
    )
    with transaction(sessions) as session:
        records.record_cycle_event(
            session,
            event=CycleEvent(
                cycle_id=CYCLE_ID,
                seq=1,
                action="started",
                status="running",
                actor=COORDINATOR,
                occurred_at=CYCLE_STARTED_AT,
                spec=spec,
            ),
        )
    streams = {code: approved_events(spec, code) for code in codes}
    per_stream = len(streams[codes[0]])
    start = threading.Barrier(len(codes))

    def record_commitment(code: str) -> list[bool]:
        start.wait(timeout=60)
        recorded = []
        for event in streams[code]:
            with transaction(sessions) as session:
                recorded.append(
                    records.record_event(session, event=event, regency_name=CATALOG.get(code).name)
                )
        return recorded

    with ThreadPoolExecutor(max_workers=len(codes)) as pool:
        results = list(pool.map(record_commitment, codes))
    assert results == [[True] * per_stream] * len(codes)

    total = 1 + len(codes) * per_stream
    check = verify(sessions)
    assert check.ok, check.broken
    assert check.checked == total == 81
    assert head(sessions) == ChainHead(length=total, hash=check.end.hash)
    with sessions() as session:
        rows = session.execute(
            select(m.AuditEvent.stream, m.AuditEvent.seq, m.AuditEvent.prev_hash).order_by(
                m.AuditEvent.chain_seq
            )
        ).all()
    # No two rows hang off the same predecessor: the chain never forked.
    assert len({row.prev_hash for row in rows}) == total
    for code in codes:
        seqs = [row.seq for row in rows if row.stream == f"{CYCLE_ID}:{code}"]
        assert seqs == list(range(1, per_stream + 1)), code


# --- rows recorded before the chain existed --------------------------------------------


def test_the_migration_chains_existing_rows_in_order_of_id(db_url: str) -> None:
    sessions = session_factory(db_url)
    story = tell_story()
    assert story.cycle_event.spec is not None
    other_spec = story.cycle_event.spec.model_copy(update={"cycle_id": "rakor-2027"})
    other = story.cycle_event.model_copy(update={"cycle_id": "rakor-2027", "spec": other_spec})
    *earlier, last = story.events
    with transaction(sessions) as session:
        records.record_cycle_event(session, event=story.cycle_event)
    for event in earlier:
        with transaction(sessions) as session:
            records.record_event(session, event=event, regency_name="Kabupaten Kupang")
        if event.seq == 3:
            # Another cycle's row lands between this cycle's rows (by id).
            with transaction(sessions) as session:
                records.record_cycle_event(session, event=other)
    before = hashes(sessions)

    command.downgrade(alembic_config(db_url), "0004")
    with engine_for(db_url).connect() as conn:
        columns = conn.execute(text("SELECT * FROM audit_event")).keys()
    assert "hash" not in columns
    migrate(db_url)

    # Chained again by the migration in order of id, the rows hash exactly as recorded.
    assert hashes(sessions) == before
    with transaction(sessions) as session:
        records.record_event(session, event=last, regency_name="Kabupaten Kupang")
    for cycle_id, rows in ((CYCLE_ID, 12), ("rakor-2027", 1)):
        check = verify(sessions, cycle_id)
        assert check.ok and check.checked == rows, check.broken
        assert head(sessions, cycle_id) == check.end
    with sessions() as session:
        assert reads.audited_cycles(session) == ["rakor-2027", CYCLE_ID]


# --- the command line ------------------------------------------------------------------


def komitmen(db_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOMITMEN_")}
    env |= {"KOMITMEN_DATABASE_URL": db_url, "KOMITMEN_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "komitmen", *args],
        env=env,
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_audit_verify_prints_the_head_and_exits_2_on_a_tampered_row(
    db_url: str, tmp_path: Path
) -> None:
    sessions = session_factory(db_url)
    record_story(sessions, tell_story())
    recorded = head(sessions)
    assert recorded is not None

    done = komitmen(db_url, tmp_path, "audit-verify")
    assert done.returncode == 0, done.stderr
    assert recorded.hash in done.stdout
    assert f"{CYCLE_ID}  12 " in done.stdout and "OK" in done.stdout

    raw_sql(
        db_url,
        "UPDATE audit_event SET actor = :actor WHERE stream = :stream AND seq = :seq",
        actor="Orang Lain",
        stream=COMMITMENT_ID,
        seq=APPROVE_SEQ,
    )
    done = komitmen(db_url, tmp_path, "audit-verify", "--cycle", CYCLE_ID)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "BROKEN at position 8" in done.stdout
    assert f"{CYCLE_ID}: position 8 (53.01 seq 7): edited: hash mismatch" in done.stdout

    unknown = komitmen(db_url, tmp_path, "audit-verify", "--cycle", "rakor-1999")
    assert unknown.returncode == 2
    assert "no cycle 'rakor-1999'" in unknown.stderr


def test_audit_verify_finds_a_deleted_trail_of_a_cycle_with_commitments(
    db_url: str, tmp_path: Path
) -> None:
    sessions = session_factory(db_url)
    record_story(sessions, tell_story())
    with engine_for(db_url).begin() as conn:
        for table in ("audit_event", "audit_chain_head"):
            conn.execute(text(f"DELETE FROM {table} WHERE cycle_id = :cycle"), {"cycle": CYCLE_ID})

    done = komitmen(db_url, tmp_path, "audit-verify")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{CYCLE_ID}  0 " in done.stdout and "BROKEN at position 1" in done.stdout
    assert "no_trail: 1 commitments are recorded but the cycle has no audit trail" in done.stdout
    named = komitmen(db_url, tmp_path, "audit-verify", "--cycle", CYCLE_ID)
    assert named.returncode == 2 and "no audit trail" in named.stdout
