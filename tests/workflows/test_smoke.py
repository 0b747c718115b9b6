"""A short lifecycle on the time-skipping server, to see the parts fit."""

from __future__ import annotations

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain import commitment as c
from domain.catalog import load_catalog
from domain.schedule import default_schedule
from komitmen.demo import sample_plan
from tests.databases import sqlite_database
from tests.harness import running_komitmen


async def test_two_regencies_reach_signing(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    with sqlite_database(tmp_path) as url:
        async with running_komitmen(time_skipping_env.client, url, outbox=tmp_path / "out") as k:
            await k.start("smoke", 2026, default_schedule(2026), ["53.01", "53.71"])
            officer = k.actor("operator-5301")
            plan = sample_plan(load_catalog().get("53.01"))
            r = await k.act(
                "53.01", "save_draft", c.SaveDraft(actor=officer, plan=plan, based_on_version=0)
            )
            assert r.version == 1
            r = await k.act("53.01", "submit", c.Submit(actor=officer, version=1))
            assert r.stage == "review"
            r = await k.act("53.01", "approve", c.Approve(actor=k.actor("reviewer"), version=1))
            assert r.stage == "signing"
