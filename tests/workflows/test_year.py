"""A whole year of one 22-regency cycle on the time-skipping server, mail counted exactly.

The story (year Y = the year after the server's clock):
- 17 regencies draft, pass review and sign at once, and report every quarter on time;
- 53.02 goes through a change-request loop (two rounds, two versions);
- 53.03's regent declines once; the reviewer approves again and the regent signs;
- 53.04 misses the drafting deadline: three reminders, escalation to its BPBD head
  (D+1) and to the provincial manager (D+7), then submits late;
- 53.05 gets its drafting deadline extended before any reminder: its reminders follow
  the new date, and it submits before the last one;
- 53.06 is withdrawn after its first reminder;
- 53.07 reports the first quarter late (after due, before lock);
- 53.08 never reports the second quarter: it is missing at the lock;
- 53.09's third-quarter report is returned once and corrected in time.

Besides reminders and escalations, every action that passes a turn tells the people whose
turn it is at once (tests/workflows/test_turns.py walks one commitment through each).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from db import models as m
from db.session import session_factory, transaction
from domain import commitment as c
from domain.calendar import WITA, at_wita, end_of_day
from domain.catalog import load_catalog
from domain.reports import ItemProgress, ProgressStatus, QuarterlyReport
from domain.roles import Acting
from domain.schedule import default_schedule
from komitmen.demo import sample_plan
from tests.databases import sqlite_database
from tests.harness import Komitmen, running_komitmen, until
from tests.smtp import SmtpSink
from workflows.commitment import CommitmentWorkflow
from workflows.common import commitment_workflow_id, cycle_workflow_id

# Histories recorded by today's code; older folders hold runs of earlier workflow code.
HISTORIES = Path(__file__).parent / "histories" / "v12"
ALL = load_catalog().codes()
LATE_DRAFT, EXTENDED, WITHDRAWN = "53.04", "53.05", "53.06"
CHANGES, DECLINE, LATE_Q1, MISSING_Q2, RETURNED_Q3 = "53.02", "53.03", "53.07", "53.08", "53.09"
SIGNERS = ("kalak", "bappeda", "kada")


def slug(code: str) -> str:
    """The demo username suffix of a regency."""
    return code.replace(".", "")


class Year:
    """Drives the story; the time-skipping server moves the clock."""

    def __init__(self, env: WorkflowEnvironment, k: Komitmen) -> None:
        self.env = env
        self.k = k

    async def until(self, moment: datetime) -> None:
        """Let time pass (timers fire, activities run) until `moment`."""
        await until(self.env, moment)

    async def draft_and_submit(self, code: str) -> int:
        officer = self.k.actor(f"operator-{slug(code)}")
        plan = sample_plan(load_catalog().get(code))
        current = (
            await self.k.act(
                code,
                CommitmentWorkflow.save_draft,
                c.SaveDraft(actor=officer, plan=plan, based_on_version=await self.version(code)),
            )
        ).version
        await self.k.act(code, CommitmentWorkflow.submit, c.Submit(actor=officer, version=current))
        return current

    async def version(self, code: str) -> int:
        handle = self.k.client.get_workflow_handle(
            commitment_workflow_id(f"{self.k.cycle_id}:{code}")
        )
        state: c.CommitmentState = await handle.query("current", result_type=c.CommitmentState)
        return state.version

    async def approve_and_sign(self, code: str, version: int) -> None:
        result = await self.k.act(
            code,
            CommitmentWorkflow.approve,
            c.Approve(actor=self.k.actor("reviewer"), version=version),
        )
        assert result.document_hash is not None
        for who in SIGNERS:
            acting = Acting.PLT if who == "kada" and code == "53.10" else Acting.DEFINITIVE
            await self.k.act(
                code,
                CommitmentWorkflow.sign,
                c.Sign(
                    actor=self.k.actor(f"{who}-{slug(code)}", acting),
                    document_hash=result.document_hash,
                ),
            )

    async def report(self, code: str, quarter: int, verify: bool = True) -> None:
        items = tuple(
            ItemProgress(
                item_position=i,
                status=ProgressStatus.SESUAI_JADWAL,
                percent_realised=Decimal(25 * quarter),
                narrative="Berjalan sesuai rencana",
                evidence=("https://data.bpbd.example.org/laporan.pdf",),
            )
            for i in (1, 2, 3, 4)
        )
        await self.k.act(
            code,
            CommitmentWorkflow.submit_report,
            c.SubmitReport(
                actor=self.k.actor(f"operator-{slug(code)}"),
                report=QuarterlyReport(quarter=quarter, items=items),
            ),
        )
        if verify:
            await self.k.act(
                code,
                CommitmentWorkflow.verify_report,
                c.VerifyReport(actor=self.k.actor("reviewer"), quarter=quarter),
            )


def by_recipient(messages: list[EmailMessage]) -> Counter[tuple[str, str]]:
    """How many messages of each kind (subject's first word) each address received."""
    return Counter(
        (str(msg["To"]), " ".join(str(msg["Subject"]).split()).split(":")[0]) for msg in messages
    )


async def test_a_year_of_22_regencies(
    time_skipping_env: WorkflowEnvironment, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    env = time_skipping_env
    y = (await env.get_current_time()).astimezone(WITA).year + 1
    schedule = default_schedule(y)  # drafting 15 Jan, signing 15 Feb, reports day 20
    with sqlite_database(tmp_path) as url:
        async with running_komitmen(env.client, url, smtp_port=smtp_sink.port) as k:
            year = Year(env, k)
            await k.start("rakor-year", y, schedule)
            assert not await k_start_again(k, y)
            first_runs = {
                code: (
                    await k.client.get_workflow_handle(
                        commitment_workflow_id(f"rakor-year:{code}")
                    ).describe()
                ).run_id
                for code in (CHANGES, DECLINE)
            }

            # --- November: most regencies get through drafting, review and signing.
            for code in ALL:
                if code in (LATE_DRAFT, EXTENDED, WITHDRAWN, CHANGES, DECLINE):
                    continue
                await year.approve_and_sign(code, await year.draft_and_submit(code))

            await year.draft_and_submit(CHANGES)
            await k.act(
                CHANGES,
                CommitmentWorkflow.request_changes,
                c.RequestChanges(
                    actor=k.actor("reviewer"),
                    version=1,
                    comments=(
                        c.ReviewComment(item_position=2, text="Target IKD <b>perlu</b> dirinci"),
                        c.ReviewComment(text="Lengkapi mitra pentahelix"),
                    ),
                ),
            )
            await year.approve_and_sign(CHANGES, await year.draft_and_submit(CHANGES))

            approved = await k.act(
                DECLINE,
                CommitmentWorkflow.approve,
                c.Approve(actor=k.actor("reviewer"), version=await year.draft_and_submit(DECLINE)),
            )
            assert approved.document_hash
            for who in ("kalak", "bappeda"):
                await k.act(
                    DECLINE,
                    CommitmentWorkflow.sign,
                    c.Sign(actor=k.actor(f"{who}-5303"), document_hash=approved.document_hash),
                )
            declined = await k.act(
                DECLINE,
                CommitmentWorkflow.decline,
                c.Decline(actor=k.actor("kada-5303"), reason="Pagu Destana belum sesuai APBD"),
            )
            assert declined.stage == "review"
            await k.act(
                DECLINE, CommitmentWorkflow.approve, c.Approve(actor=k.actor("reviewer"), version=1)
            )
            done = await k.act(
                DECLINE,
                CommitmentWorkflow.sign,
                c.Sign(actor=k.actor("kada-5303"), document_hash=approved.document_hash),
            )
            assert done.stage == "follow_up"

            await k.act(
                EXTENDED,
                CommitmentWorkflow.extend_deadline,
                c.ExtendDeadline(
                    actor=k.actor("koordinator"),
                    key=c.DeadlineKey.DRAFTING,
                    until=date(y, 1, 29),
                    reason="Pergantian kepala pelaksana BPBD",
                ),
            )

            # --- January: reminders, a withdrawal, a late and an extended submission.
            await year.until(at_wita(date(y, 1, 10), 9))
            await k.act(
                WITHDRAWN,
                CommitmentWorkflow.withdraw,
                c.Withdraw(actor=k.actor("koordinator"), reason="Tidak mengikuti siklus ini"),
            )
            await year.until(at_wita(date(y, 1, 25), 9))
            assert overdue(url) == {LATE_DRAFT: end_of_day(date(y, 1, 15))}
            await year.approve_and_sign(LATE_DRAFT, await year.draft_and_submit(LATE_DRAFT))
            await year.until(at_wita(date(y, 1, 27), 9))
            await year.approve_and_sign(EXTENDED, await year.draft_and_submit(EXTENDED))

            # --- Four quarters of follow-up.
            reporting = [code for code in ALL if code != WITHDRAWN]
            for quarter, first_day in (
                (1, date(y, 4, 1)),
                (2, date(y, 7, 1)),
                (3, date(y, 10, 1)),
                (4, date(y + 1, 1, 2)),
            ):
                await year.until(at_wita(first_day, 9))
                for code in reporting:
                    if (code, quarter) in ((LATE_Q1, 1), (MISSING_Q2, 2)):
                        continue
                    await year.report(code, quarter, verify=(code, quarter) != (RETURNED_Q3, 3))
                if quarter == 1:
                    await year.until(at_wita(date(y, 4, 25), 9))
                    await year.report(LATE_Q1, 1)
                if quarter == 3:
                    await k.act(
                        RETURNED_Q3,
                        CommitmentWorkflow.return_report,
                        c.ReturnReport(
                            actor=k.actor("reviewer"), quarter=3, reason="Data dukung belum lengkap"
                        ),
                    )
                    await year.report(RETURNED_Q3, 3)

            # The last lock (31 January) completes every commitment, then the cycle.
            await year.until(at_wita(date(y + 1, 2, 1), 9))
            cycle = k.client.get_workflow_handle(cycle_workflow_id("rakor-year"))
            assert await cycle.result() == "completed"
            if os.environ.get("KOMITMEN_RECORD_HISTORIES"):
                await save_histories(k, first_runs)

            check_database(url)
            check_mail(smtp_sink.messages)


async def k_start_again(k: Komitmen, y: int) -> bool:
    """Starting the same cycle again must change nothing."""
    from domain.catalog import load_catalog as catalog
    from services import actions

    spec = actions.build_cycle_spec(
        cycle_id=k.cycle_id,
        name="Rakor PB NTT",
        year=y,
        catalog=catalog(),
        schedule=default_schedule(y),
        started_by=k.actor("koordinator"),
    )
    return await actions.start_cycle(k.client, spec, task_queue=k.task_queue)


def overdue(url: str) -> dict[str, datetime]:
    """Which regencies the database shows as overdue, and since when."""
    with transaction(session_factory(url)) as s:
        rows = s.execute(
            select(m.Commitment.regency_code, m.Commitment.overdue_since).where(
                m.Commitment.overdue_since.is_not(None)
            )
        ).all()
    return {code: since for code, since in rows if since is not None}


def check_database(url: str) -> None:
    """Every commitment ended where the story says, every row recorded once."""
    with transaction(session_factory(url)) as s:
        stages = dict(s.execute(select(m.Commitment.regency_code, m.Commitment.stage)).all())
        assert len(stages) == 22
        assert stages.pop(WITHDRAWN) == "withdrawn"
        assert set(stages.values()) == {"completed"}
        assert s.scalar(select(m.Cycle.status)) == "completed"

        rounds = dict(s.execute(select(m.Commitment.regency_code, m.Commitment.round)).all())
        assert rounds[CHANGES] == 2 and rounds["53.01"] == 1
        versions = Counter(s.scalars(select(m.PlanVersion.commitment_id)).all())
        assert versions[f"rakor-year:{CHANGES}"] == 2 and versions["rakor-year:53.01"] == 1
        comments = s.scalars(select(m.ReviewComment).order_by(m.ReviewComment.position)).all()
        assert [(x.item_position, x.round) for x in comments] == [(2, 1), (None, 1)]

        signatures = Counter(s.scalars(select(m.Signature.commitment_id)).all())
        assert set(signatures.values()) == {3} and len(signatures) == 21
        acting = s.scalar(select(m.Signature).where(m.Signature.acting == "plt"))
        assert acting is not None and acting.commitment_id == "rakor-year:53.10"

        timeliness = Counter(
            s.execute(
                select(
                    m.Commitment.regency_code,
                    m.QuarterlyReport.quarter,
                    m.QuarterlyReport.timeliness,
                ).join(m.Commitment, m.QuarterlyReport.commitment_id == m.Commitment.id)
            ).all()
        )
        assert (LATE_Q1, 1, "late") in timeliness and (MISSING_Q2, 2, "missing") in timeliness
        assert (RETURNED_Q3, 3, "on_time") in timeliness
        on_time = sum(n for (_, _, t), n in timeliness.items() if t == "on_time")
        assert on_time == 21 * 4 - 2
        states = Counter(s.scalars(select(m.QuarterlyReport.state)).all())
        assert states == {"verified": 83, "missing": 1}

        # One audit row per event, numbered without gaps in every stream.
        for stream, count, top in s.execute(
            select(m.AuditEvent.stream, func.count(), func.max(m.AuditEvent.seq)).group_by(
                m.AuditEvent.stream
            )
        ).all():
            assert count == top, stream
        actions = Counter(s.scalars(select(m.AuditEvent.action)).all())
        assert actions["decline"] == 1 and actions["request_changes"] == 1
        assert actions["withdraw"] == 1 and actions["extend_deadline"] == 1
        assert actions["quarter_locked"] == 21 * 4
        assert actions["deadline_passed"] == 3  # 53.04 drafting, 53.07 Q1, 53.08 Q2

        sent = s.scalars(select(m.ReminderSent)).all()
        assert all(r.sent_at is not None for r in sent)
        assert Counter(r.kind for r in sent) == {
            "digest": 12,
            "escalation": 5,
            "changes": 1,
            "turn": TURN_MESSAGES,
        }


# A regency's plain path passes 14 turns' messages: submitted (the reviewer), approved (its
# three offices), fully signed (its officer and the coordinator), and each quarter's report
# submitted (the reviewer) and verified (its officer). 53.02 submits twice; 53.03's decline
# tells the reviewer and its officer and the re-approval the one office left; 53.08 never
# reports the second quarter; 53.09's returned report is returned and submitted again.
TURN_MESSAGES = 21 * 14 + 1 + (2 + 1) - 2 + 2


def check_mail(messages: list[EmailMessage]) -> None:
    """Exactly the reminders, escalations, notices and turn messages the story calls for."""
    turns = [msg for msg in messages if str(msg["Message-ID"]).startswith("<turn.")]
    assert len(turns) == TURN_MESSAGES
    assert len({(msg["To"], msg["Message-ID"]) for msg in turns}) == TURN_MESSAGES
    told = by_recipient(turns)
    assert told[("reviewer@example.org", "Rencana aksi diajukan untuk reviu")] == 22
    assert told[("reviewer@example.org", "Penandatanganan ditolak")] == 1
    assert told[("operator-5303@example.org", "Penandatanganan ditolak")] == 1
    assert told[("kada-5303@example.org", "Rencana aksi disetujui, menunggu tanda tangan")] == 2
    assert told[("kalak-5303@example.org", "Rencana aksi disetujui, menunggu tanda tangan")] == 1
    assert told[("koordinator@example.org", "Komitmen ditandatangani lengkap")] == 21
    assert told[("operator-5309@example.org", "Laporan triwulan III dikembalikan")] == 1
    assert told[("operator-5308@example.org", "Laporan triwulan II diverifikasi")] == 0
    assert not any(to == "manajer@example.org" for to, _ in told)
    messages = [msg for msg in messages if msg not in turns]
    assert by_recipient(messages) == {
        ("operator-5304@example.org", "Pengingat"): 3,
        ("kalak-5304@example.org", "Eskalasi"): 1,
        ("manajer@example.org", "Escalation"): 2,
        ("operator-5305@example.org", "Pengingat"): 2,
        ("operator-5306@example.org", "Pengingat"): 1,
        ("operator-5307@example.org", "Pengingat"): 3,
        ("kalak-5307@example.org", "Eskalasi"): 1,
        ("operator-5308@example.org", "Pengingat"): 3,
        ("kalak-5308@example.org", "Eskalasi"): 1,
        ("operator-5302@example.org", "Perlu Revisi"): 1,
    }
    extended = [msg for msg in messages if msg["To"] == "operator-5305@example.org"]
    assert all("29 Januari" in str(msg["Subject"]) for msg in extended)
    changes = next(msg for msg in messages if msg["To"] == "operator-5302@example.org")
    changes_text = changes.get_body(("plain",))
    assert changes_text is not None
    assert "Butir 2: Penilaian mandiri Indeks Ketahanan Daerah" in changes_text.get_content()
    late = next(msg for msg in messages if msg["To"] == "kalak-5304@example.org")
    body = late.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Kabupaten Belu" in text and "15 Januari" in text and "23.59 WITA" in text
    assert "terlambat 1 hari" in text


async def save_histories(k: Komitmen, first_runs: dict[str, str]) -> None:
    """Store workflow histories for the replay test (run with KOMITMEN_RECORD_HISTORIES=1)."""
    HISTORIES.mkdir(parents=True, exist_ok=True)
    handles: dict[str, WorkflowHandle[object, object]] = {
        "cycle": k.client.get_workflow_handle(cycle_workflow_id("rakor-year")),
        "commitment-change-request": k.client.get_workflow_handle(
            commitment_workflow_id(f"rakor-year:{CHANGES}"), run_id=first_runs[CHANGES]
        ),
        "commitment-decline": k.client.get_workflow_handle(
            commitment_workflow_id(f"rakor-year:{DECLINE}"), run_id=first_runs[DECLINE]
        ),
    }
    for name, handle in handles.items():
        history = await handle.fetch_history()
        (HISTORIES / f"{name}.json").write_text(json.dumps(history.to_json_dict(), indent=1))
