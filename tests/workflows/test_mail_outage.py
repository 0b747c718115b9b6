"""The mail server is away while reminders and escalations fall due: each arrives once after.

Three regencies never draft (deadline 15 January, 23:59 WITA). The SMTP server
goes down before the D-7 reminder and comes back after D-3, and goes down again
across the D+1 escalation. The time-skipping server skips the retry backoff too,
so every failed send is retried (at most five minutes apart, see ACTIVITY_RETRY)
many times while the clock runs; when a server listens on the port again, each
reminder and escalation goes out exactly once, under the Message-ID its claim in
`reminder_sent` names.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from db import models as m
from db.session import session_factory, transaction
from domain.calendar import WITA, at_wita
from domain.catalog import load_catalog
from domain.commitment import SaveDraft
from domain.schedule import default_schedule
from komitmen.demo import sample_plan
from tests.databases import sqlite_database
from tests.harness import running_komitmen
from tests.smtp import SmtpSink, free_port
from tests.workflows.test_year import Year
from workflows.commitment import CommitmentWorkflow
from workflows.common import commitment_workflow_id, cycle_workflow_id

CYCLE = "mail-outage"
CODES = ["53.01", "53.02", "53.03"]


async def pending_attempts(client: Client, workflow_ids: list[str]) -> int:
    """The attempt numbers of the activities these workflows are retrying, summed."""
    total = 0
    for workflow_id in workflow_ids:
        described = await client.get_workflow_handle(workflow_id).describe()
        total += sum(a.attempt for a in described.raw_description.pending_activities)
    return total


def reminder_rows(url: str) -> list[m.ReminderSent]:
    """Every message claim, oldest first."""
    with transaction(session_factory(url)) as s:
        return list(s.scalars(select(m.ReminderSent).order_by(m.ReminderSent.id)).all())


# Two and a half minutes of retried hours: run by `make crash` with the other long scenarios.
@pytest.mark.slow
async def test_reminders_survive_a_mail_server_outage(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    env = time_skipping_env
    y = (await env.get_current_time()).astimezone(WITA).year + 1
    port = free_port()
    received: list[EmailMessage] = []
    with sqlite_database(tmp_path) as url:
        async with running_komitmen(env.client, url, smtp_port=port) as k:
            year = Year(env, k)
            await k.start(CYCLE, y, default_schedule(y), CODES)
            commitments = [commitment_workflow_id(f"{CYCLE}:{code}") for code in CODES]

            # Down before D-7 (8 January, 08:00 WITA), back after D-3 (12 January).
            await year.until(at_wita(date(y, 1, 7), 9))
            await year.until(at_wita(date(y, 1, 13), 7))
            claimed = reminder_rows(url)
            assert claimed and all(r.sent_at is None for r in claimed), "claimed, none sent"
            digest_attempts = await pending_attempts(k.client, [cycle_workflow_id(CYCLE)])
            assert digest_attempts > 3
            with SmtpSink(port=port) as sink:
                await year.until(at_wita(date(y, 1, 15), 9))  # and D-1 on 14 January
                received += sink.messages

            # Down again across the D+1 escalation to each regency's Kepala BPBD (16 January).
            await year.until(at_wita(date(y, 1, 17), 7))
            escalation_attempts = await pending_attempts(k.client, commitments)
            assert escalation_attempts > 3 * len(CODES)
            # People keep working while mail waits: the escalation is not sent under the
            # commitment's lock, so an officer's draft goes through during the outage.
            plan = sample_plan(load_catalog().get("53.01"))
            draft = SaveDraft(actor=k.actor("operator-5301"), plan=plan, based_on_version=0)
            saved = await k.act("53.01", CommitmentWorkflow.save_draft, draft)
            assert saved.version == 1
            with SmtpSink(port=port) as sink:
                await year.until(at_wita(date(y, 1, 23), 9))  # past D+7, to the managers
                received += sink.messages

    rows = reminder_rows(url)
    assert all(r.sent_at is not None for r in rows)
    expected = Counter({("manajer@example.org", f"{CYCLE}:{code}", -7) for code in CODES})
    for code in CODES:
        slug = code.replace(".", "")
        for days in (7, 3, 1):
            expected[(f"operator-{slug}@example.org", f"{CYCLE}:{code}", days)] = 1
        expected[(f"kalak-{slug}@example.org", f"{CYCLE}:{code}", -1)] = 1
    assert Counter((r.recipient, r.commitment_id, r.days) for r in rows) == expected

    # Each claim arrived exactly once, under the Message-ID claimed during the outage.
    arrived = Counter((str(msg["Message-ID"]), str(msg["To"])) for msg in received)
    assert set(arrived.values()) == {1}
    assert set(arrived) == {(r.message_id, r.recipient) for r in rows}
    assert {r.message_id for r in claimed} <= {r.message_id for r in rows}
    kinds = Counter(
        (str(msg["To"]), " ".join(str(msg["Subject"]).split()).split(":")[0]) for msg in received
    )
    assert kinds["manajer@example.org", "Escalation"] == len(CODES)
    assert sum(n for (_, kind), n in kinds.items() if kind == "Pengingat") == 3 * len(CODES)
    assert sum(n for (_, kind), n in kinds.items() if kind == "Eskalasi") == len(CODES)
    print(
        f"mail outage: {len(received)} emails checked against {len(rows)} claims; "
        f"attempts seen: digest {digest_attempts}, escalations {escalation_attempts}"
    )
