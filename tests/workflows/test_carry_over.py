"""Carry-over: next year's cycle starts each party with last cycle's unfinished items.

Kabupaten Kupang's signed plan of four items is reported on: item 1 verified at 100 % in
the first quarter, item 2 at 20 % then 40 %, items 3 and 4 never verified (item 3 was in a
report sent back). Kota Kupang finished everything. The coordinator starts the next
year's cycle carrying from this one: Kupang's commitment starts with a version 1 of
exactly items 2, 3 and 4, marked with the earlier cycle, their positions there and 40 %,
0 % and 0 %, saved in the coordinator's name and in the audit trail; Kota Kupang starts
with no draft. The officer keeps one, edits one, drops one and submits. With
KOMITMEN_RECORD_HISTORIES=1 the new commitment's history is stored for the replay test.
"""

from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db import models as m
from db import people, reads
from db.session import session_factory, transaction
from domain import commitment as c
from domain.calendar import WITA, at_wita
from domain.catalog import load_catalog
from domain.plan import ActionPlan, CarriedFrom
from domain.reports import ItemProgress, ProgressStatus, QuarterlyReport
from domain.schedule import default_schedule
from domain.stages import Stage
from komitmen.demo import sample_plan
from services import actions, cycles
from services.access import AuthUser
from services.schemas import StartCycleIn
from tests.databases import sqlite_database
from tests.harness import Komitmen, running_komitmen, until
from tests.workflows.test_year import HISTORIES
from workflows.commitment import ALL_CHANGES, CARRY_OVER, CommitmentWorkflow
from workflows.common import commitment_workflow_id

KUPANG, KOTA = "53.01", "53.71"
W = CommitmentWorkflow


def progress(position: int, percent: int) -> ItemProgress:
    return ItemProgress(
        item_position=position, status=ProgressStatus.SESUAI_JADWAL, percent_realised=percent
    )


async def signed(k: Komitmen, code: str) -> None:
    """Draft the sample plan, submit, approve and sign it: the commitment is in follow-up."""
    slug = code.replace(".", "")
    officer = k.actor(f"operator-{slug}")
    plan = sample_plan(load_catalog().get(code))
    saved = await k.act(
        code, W.save_draft, c.SaveDraft(actor=officer, plan=plan, based_on_version=0)
    )
    await k.act(code, W.submit, c.Submit(actor=officer, version=saved.version))
    approved = await k.act(code, W.approve, c.Approve(actor=k.actor("reviewer"), version=1))
    for who in ("kalak", "bappeda", "kada"):
        signer = k.actor(f"{who}-{slug}")
        assert approved.document_hash
        await k.act(code, W.sign, c.Sign(actor=signer, document_hash=approved.document_hash))


async def reported(k: Komitmen, code: str, quarter: int, *items: ItemProgress) -> None:
    """A quarter's report of these items, submitted by the officer and verified."""
    officer = k.actor(f"operator-{code.replace('.', '')}")
    report = QuarterlyReport(quarter=quarter, items=items)
    await k.act(code, W.submit_report, c.SubmitReport(actor=officer, report=report))
    await k.act(code, W.verify_report, c.VerifyReport(actor=k.actor("reviewer"), quarter=quarter))


async def test_next_years_cycle_starts_with_the_unfinished_items_as_a_draft(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    env = time_skipping_env
    y = (await env.get_current_time()).astimezone(WITA).year + 1
    with sqlite_database(tmp_path) as url:
        async with running_komitmen(env.client, url) as k:
            await k.start("rakor-lalu", y, default_schedule(y), [KUPANG, KOTA])
            for code in (KUPANG, KOTA):
                await signed(k, code)
            await until(env, at_wita(date(y, 3, 2), 10))  # the first quarter's report opens
            await reported(k, KUPANG, 1, progress(1, 100), progress(2, 20))
            await reported(k, KOTA, 1, *(progress(n, 100) for n in (1, 2, 3, 4)))
            await until(env, at_wita(date(y, 6, 2), 10))
            # Item 3 is in a report sent back, so it is never verified.
            officer = k.actor("operator-5301")
            report = QuarterlyReport(quarter=2, items=(progress(2, 40), progress(3, 90)))
            await k.act(KUPANG, W.submit_report, c.SubmitReport(actor=officer, report=report))
            await k.act(
                KUPANG,
                W.return_report,
                c.ReturnReport(actor=k.actor("reviewer"), quarter=2, reason="Lampirkan bukti"),
            )
            report = QuarterlyReport(quarter=2, items=(progress(2, 40),))
            await k.act(KUPANG, W.submit_report, c.SubmitReport(actor=officer, report=report))
            await k.act(
                KUPANG, W.verify_report, c.VerifyReport(actor=k.actor("reviewer"), quarter=2)
            )

            sessions = session_factory(url)
            with transaction(sessions) as session:
                account = people.get_user(session, username="koordinator")
                assert account is not None
                coordinator = AuthUser.of(account)
                body = StartCycleIn(
                    cycle_id="rakor-baru",
                    name="Rakor PB NTT baru",
                    year=y + 1,
                    regency_codes=[KUPANG, KOTA],
                    carry_from="rakor-lalu",
                )
                spec = cycles.plan_cycle(session, coordinator, body)
            assert cycles.carried_counts(spec) == {KUPANG: 3}
            k.cycle_id, k.codes = "rakor-baru", (KUPANG, KOTA)
            await actions.start_cycle(k.client, spec, task_queue=k.task_queue)
            state = await k.client.get_workflow_handle(
                commitment_workflow_id(f"rakor-baru:{KUPANG}")
            ).query(W.current)
            assert state.version == 1 and state.stage is Stage.DRAFTING

            with transaction(sessions) as session:
                items = reads.version_items(session, commitment_id=f"rakor-baru:{KUPANG}", number=1)
                carried = [CarriedFrom.model_validate(i.carried_from) for i in items]
                assert carried == [
                    CarriedFrom(cycle_id="rakor-lalu", position=2, realised_percent=Decimal(40)),
                    CarriedFrom(cycle_id="rakor-lalu", position=3, realised_percent=Decimal(0)),
                    CarriedFrom(cycle_id="rakor-lalu", position=4, realised_percent=Decimal(0)),
                ]
                earlier = sample_plan(load_catalog().get(KUPANG)).items
                assert [i.activity for i in items] == [e.activity for e in earlier[1:]]
                version = session.scalars(
                    select(m.PlanVersion).where(
                        m.PlanVersion.commitment_id == f"rakor-baru:{KUPANG}"
                    )
                ).one()
                assert version.saved_by == "Koordinator BPBD Provinsi NTT"
                audit = session.scalars(
                    select(m.AuditEvent).where(
                        m.AuditEvent.stream == f"rakor-baru:{KUPANG}",
                        m.AuditEvent.action == "save_draft",
                    )
                ).one()
                assert audit.actor == "Koordinator BPBD Provinsi NTT"
                assert audit.actor_role == "coordinator"
                assert audit.detail["carried_from"] == "rakor-lalu"
                assert audit.detail["version"] == 1
                kota = reads.get_commitment(session, commitment_id=f"rakor-baru:{KOTA}")
                assert kota is not None and kota.latest_version == 0  # nothing to carry

            # The officer keeps the first, edits the second (keeping its mark), drops the third.
            kept, edited, _dropped = state.spec.carried.items if state.spec.carried else ()
            edited = edited.model_copy(update={"target_value": Decimal(12)})
            plan = ActionPlan(items=(kept, edited))
            saved = await k.act(
                KUPANG, W.save_draft, c.SaveDraft(actor=officer, plan=plan, based_on_version=1)
            )
            submitted = await k.act(
                KUPANG, W.submit, c.Submit(actor=officer, version=saved.version)
            )
            assert (submitted.stage, submitted.version) == (Stage.REVIEW, 2)
            with transaction(sessions) as session:
                items = reads.version_items(session, commitment_id=f"rakor-baru:{KUPANG}", number=2)
                assert [i.target_value for i in items][1] == Decimal(12)
                assert [i.carried_from["position"] for i in items if i.carried_from] == [2, 3]

            history = await k.client.get_workflow_handle(
                commitment_workflow_id(f"rakor-baru:{KUPANG}")
            ).fetch_history()
            # A run started today takes the carry-over under the one patch of every change.
            marked = [e.SerializeToString() for e in history.events]
            assert any(ALL_CHANGES.encode() in e for e in marked)
            assert not any(CARRY_OVER.encode() in e for e in marked)
            if os.environ.get("KOMITMEN_RECORD_HISTORIES"):
                path = HISTORIES / "commitment-carry-over.json"
                path.write_text(json.dumps(history.to_json_dict(), indent=1))
