"""Escalations whose time passed before the commitment owed the deadline go out at once, once.

A cycle started after its drafting deadline, and a plan sent back to drafting after that
deadline, used to wait for a D+1 that had already gone by: the regency's head was never
told. Since MISSED_ESCALATIONS the commitment sends them as soon as it learns of them.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain import commitment as c
from domain.calendar import WITA, at_wita
from domain.catalog import load_catalog
from domain.schedule import ScheduleSpec, default_schedule
from komitmen.demo import sample_plan
from tests.databases import sqlite_database
from tests.harness import Komitmen, running_komitmen, until
from tests.smtp import SmtpSink
from tests.workflows.test_year import HISTORIES
from workflows.commitment import CommitmentWorkflow
from workflows.common import commitment_workflow_id


def escalations(messages: list[EmailMessage]) -> Counter[str]:
    """How many escalations each address received (the manager reads English)."""
    kinds = {"Eskalasi", "Escalation"}
    return Counter(
        str(m["To"]) for m in messages if str(m["Subject"]).split(":")[0].strip() in kinds
    )


async def settled(sink: SmtpSink, expected: Counter[str]) -> Counter[str]:
    """The escalations received once `expected` has arrived (or after ten seconds)."""
    for _ in range(100):
        got = escalations(sink.messages)
        if got == expected:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # and nothing more follows
    return escalations(sink.messages)


async def draft_and_submit(k: Komitmen, code: str, based_on: int) -> int:
    officer = k.actor(f"operator-{code.replace('.', '')}")
    plan = sample_plan(load_catalog().get(code))
    saved = await k.act(
        code,
        CommitmentWorkflow.save_draft,
        c.SaveDraft(actor=officer, plan=plan, based_on_version=based_on),
    )
    await k.act(code, CommitmentWorkflow.submit, c.Submit(actor=officer, version=saved.version))
    return saved.version


async def send_back(k: Komitmen, code: str, version: int) -> None:
    comment = c.ReviewComment(text="Lengkapi target per triwulan")
    await k.act(
        code,
        CommitmentWorkflow.request_changes,
        c.RequestChanges(actor=k.actor("reviewer"), version=version, comments=(comment,)),
    )


async def test_a_cycle_started_after_its_drafting_deadline_escalates_at_once(
    time_skipping_env: WorkflowEnvironment, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    env = time_skipping_env
    now = (await env.get_current_time()).astimezone(WITA)
    y = now.year + 1
    late = ScheduleSpec(drafting_due=(now - timedelta(days=10)).date(), signing_due=date(y, 2, 15))
    with sqlite_database(tmp_path) as url:
        async with running_komitmen(env.client, url, smtp_port=smtp_sink.port) as k:
            await k.start("late-start", y, late, ["53.01"])
            # D+1 to the regency's Kepala BPBD and D+7 to the province's managers, both due.
            got = await settled(
                smtp_sink, Counter({"kalak-5301@example.org": 1, "manajer@example.org": 1})
            )
            assert got == Counter({"kalak-5301@example.org": 1, "manajer@example.org": 1})
            await until(env, now + timedelta(days=3))
            assert escalations(smtp_sink.messages) == got  # once
            if os.environ.get("KOMITMEN_RECORD_HISTORIES"):
                history = await k.client.get_workflow_handle(
                    commitment_workflow_id("late-start:53.01")
                ).fetch_history()
                path = HISTORIES / "commitment-missed-escalation.json"
                path.write_text(json.dumps(history.to_json_dict(), indent=1))


async def test_a_plan_sent_back_after_its_deadline_escalates_at_once_and_once(
    time_skipping_env: WorkflowEnvironment, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    env = time_skipping_env
    y = (await env.get_current_time()).astimezone(WITA).year + 1
    schedule = default_schedule(y)  # drafting due 15 January
    with sqlite_database(tmp_path) as url:
        async with running_komitmen(env.client, url, smtp_port=smtp_sink.port) as k:
            await k.start("sent-back", y, schedule, ["53.02"])
            version = await draft_and_submit(k, "53.02", 0)
            # Three days after the drafting deadline the reviewer sends the plan back. (The
            # review itself ran late meanwhile: that escalates to the managers, not the head.)
            await until(env, at_wita(date(y, 1, 18), 10))
            assert escalations(smtp_sink.messages)["kalak-5302@example.org"] == 0
            await send_back(k, "53.02", version)
            head = "kalak-5302@example.org"
            got = await settled(smtp_sink, escalations(smtp_sink.messages) + Counter({head: 1}))
            assert got[head] == 1
            # Submitted and sent back again: the same deadline does not escalate twice.
            version = await draft_and_submit(k, "53.02", version)
            await send_back(k, "53.02", version)
            await until(env, at_wita(date(y, 1, 21), 10))
            before_d7 = escalations(smtp_sink.messages)
            assert before_d7[head] == 1
            # D+7 comes at its own time (22 January, 08:00), to the managers.
            await until(env, at_wita(date(y, 1, 22), 10))
            expected = before_d7 + Counter({"manajer@example.org": 1})
            assert await settled(smtp_sink, expected) == expected
