"""Human actions through the real workflows: refusals are synchronous and change nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from db import models as m
from db.session import session_factory, transaction
from domain import commitment as c
from domain.calendar import WITA
from domain.catalog import load_catalog
from domain.cycle import CancelCycle
from domain.schedule import default_schedule
from komitmen.demo import sample_plan
from services import actions
from services.actions import Update
from services.errors import ActionRefused
from tests.databases import sqlite_database
from tests.harness import Komitmen, running_komitmen
from workflows.commitment import CommitmentWorkflow
from workflows.common import cycle_workflow_id

PLAN = sample_plan(load_catalog().get("53.01"))


def audit_rows(url: str) -> int:
    """Audit rows of human actions (commitments record their own start concurrently)."""
    with transaction(session_factory(url)) as s:
        query = select(func.count()).where(m.AuditEvent.action != "started")
        return s.scalar(query.select_from(m.AuditEvent)) or 0


async def refused(k: Komitmen, code: str, update: Update[Any], request: BaseModel) -> str:
    with pytest.raises(ActionRefused) as caught:
        await k.act(code, update, request)
    return caught.value.reason


async def test_invalid_actions_are_refused_with_a_reason(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    env = time_skipping_env
    y = (await env.get_current_time()).astimezone(WITA).year + 1
    with sqlite_database(tmp_path) as url:
        async with running_komitmen(env.client, url, outbox=tmp_path / "out") as k:
            await k.start("refusals", y, default_schedule(y), ["53.01", "53.71"])
            officer = k.actor("operator-5301")
            before = audit_rows(url)

            reason = await refused(
                k, "53.01", CommitmentWorkflow.submit, c.Submit(actor=officer, version=1)
            )
            assert "save a draft first" in reason
            other = k.actor("operator-5371")
            reason = await refused(
                k,
                "53.01",
                CommitmentWorkflow.save_draft,
                c.SaveDraft(actor=other, plan=PLAN, based_on_version=0),
            )
            assert "53.71" in reason and "53.01" in reason
            reason = await refused(
                k,
                "53.01",
                CommitmentWorkflow.approve,
                c.Approve(actor=k.actor("reviewer"), version=1),
            )
            assert "stage 'drafting'" in reason
            assert audit_rows(url) == before

            await k.act(
                "53.01",
                CommitmentWorkflow.save_draft,
                c.SaveDraft(actor=officer, plan=PLAN, based_on_version=0),
            )
            reason = await refused(
                k,
                "53.01",
                CommitmentWorkflow.save_draft,
                c.SaveDraft(actor=officer, plan=PLAN, based_on_version=0),
            )
            assert "stale version" in reason
            await k.act("53.01", CommitmentWorkflow.submit, c.Submit(actor=officer, version=1))
            reason = await refused(
                k, "53.01", CommitmentWorkflow.approve, c.Approve(actor=officer, version=1)
            )
            assert "role 'regency_officer'" in reason
            assert audit_rows(url) == before + 2


async def test_cancelling_a_cycle_ends_every_commitment(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    env = time_skipping_env
    y = (await env.get_current_time()).astimezone(WITA).year + 1
    with sqlite_database(tmp_path) as url:
        async with running_komitmen(env.client, url, outbox=tmp_path / "out") as k:
            await k.start("cancelled", y, default_schedule(y), ["53.01", "53.71"])
            with pytest.raises(ActionRefused, match="needs coordinator"):
                await actions.cancel_cycle(
                    k.client, "cancelled", CancelCycle(actor=k.actor("reviewer"), reason="x")
                )
            status = await actions.cancel_cycle(
                k.client, "cancelled", CancelCycle(actor=k.actor("koordinator"), reason="Ditunda")
            )
            assert status.status == "cancelled"
            handle = k.client.get_workflow_handle(cycle_workflow_id("cancelled"))
            assert await handle.result() == "cancelled"
            with transaction(session_factory(url)) as s:
                stages = set(s.scalars(select(m.Commitment.stage)).all())
                cycle = s.scalar(select(m.Cycle))
            assert stages == {"cancelled"}
            assert cycle is not None and cycle.status == "cancelled" and cycle.ended_at


async def test_only_a_coordinator_starts_a_cycle(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    with sqlite_database(tmp_path) as url:
        async with running_komitmen(time_skipping_env.client, url) as k:
            spec = actions.build_cycle_spec(
                cycle_id="by-reviewer",
                name="Rakor",
                year=2027,
                catalog=load_catalog(),
                schedule=default_schedule(2027),
                started_by=k.actor("reviewer"),
            )
            with pytest.raises(ActionRefused, match="needs coordinator"):
                await actions.start_cycle(k.client, spec, task_queue=k.task_queue)
